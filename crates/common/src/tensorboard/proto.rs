//! TensorBoard's messages, as far as twin-nets writes them: `Event` and `Summary`
//! (`tensorboard/compat/proto/event.proto`, `summary.proto`, `tensor.proto`,
//! `tensor_shape.proto`), the hparams plugin's `HParamsPluginData`
//! (`tensorboard/plugins/hparams/plugin_data.proto`) and `google.protobuf.Value`
//! (`struct.proto`). Each struct mirrors its `.proto` message with the same field numbers and
//! wire types, derived with `prost` (no code generation step); fields twin-nets never sets are
//! left out, which protobuf allows (a reader sees them as unset). Enums are plain `int32`s,
//! their values named by the constants below.

use std::collections::BTreeMap;

/// `DataType.DT_FLOAT` (`types.proto`).
pub const DT_FLOAT: i32 = 1;
/// `DataType.DT_STRING` (`types.proto`).
pub const DT_STRING: i32 = 7;
/// `hparams.Status.STATUS_SUCCESS` (`api.proto`).
pub const STATUS_SUCCESS: i32 = 1;

/// `tensorboard.Event`: one record of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch when the event was written.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// The global step (twin-nets: the 1-based epoch; 0 for the run's header).
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the event carries.
    #[prost(oneof = "event::What", tags = "3, 5")]
    pub what: Option<event::What>,
}

/// The `what` oneof of [`Event`].
pub mod event {
    /// `Event.what`: the kinds of events twin-nets writes.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum What {
        /// The file's first event: `brain.Event:2`.
        #[prost(string, tag = "3")]
        FileVersion(String),
        /// Summaries (scalars, text, hparams).
        #[prost(message, tag = "5")]
        Summary(super::Summary),
    }
}

/// `tensorboard.Summary`: tagged values.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<SummaryValue>,
}

/// `tensorboard.Summary.Value`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryValue {
    /// The tag (`loss/train`): TensorBoard groups tags by the part before the first `/`.
    #[prost(string, tag = "1")]
    pub tag: String,
    /// Which plugin reads the value (set for text and hparams; scalars need none).
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
    /// The value.
    #[prost(oneof = "summary_value::Value", tags = "2, 8")]
    pub value: Option<summary_value::Value>,
}

/// The `value` oneof of [`SummaryValue`].
pub mod summary_value {
    /// `Summary.Value.value`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// A scalar (what the Scalars tab plots).
        #[prost(float, tag = "2")]
        SimpleValue(f32),
        /// A tensor (text, and the hparams plugin's null tensor).
        #[prost(message, tag = "8")]
        Tensor(super::TensorProto),
    }
}

/// `tensorboard.SummaryMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    /// The plugin and its data.
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
}

/// `tensorboard.SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginData {
    /// `text`, `hparams`.
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    /// The plugin's own serialized message.
    #[prost(bytes = "vec", tag = "2")]
    pub content: Vec<u8>,
}

/// `tensorboard.TensorProto` (the fields a text or null tensor uses).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// [`DT_FLOAT`], [`DT_STRING`].
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    /// The shape (no dims: a scalar).
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    /// The strings of a `DT_STRING` tensor.
    #[prost(bytes = "vec", repeated, tag = "8")]
    pub string_val: Vec<Vec<u8>>,
}

/// `tensorboard.TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// The dimensions.
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<TensorShapeDim>,
}

/// `tensorboard.TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeDim {
    /// The size.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `tensorboard.hparams.HParamsPluginData`: the content of the hparams plugin's summaries.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsPluginData {
    /// Always 0 (`metadata.PLUGIN_DATA_VERSION`).
    #[prost(int32, tag = "1")]
    pub version: i32,
    /// A session's start or end.
    #[prost(oneof = "h_params_plugin_data::Data", tags = "3, 4")]
    pub data: Option<h_params_plugin_data::Data>,
}

/// The `data` oneof of [`HParamsPluginData`].
pub mod h_params_plugin_data {
    /// `HParamsPluginData.data`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Data {
        /// Written once, at the start of a run.
        #[prost(message, tag = "3")]
        SessionStartInfo(super::SessionStartInfo),
        /// Written when a run ends.
        #[prost(message, tag = "4")]
        SessionEndInfo(super::SessionEndInfo),
    }
}

/// `tensorboard.hparams.SessionStartInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionStartInfo {
    /// The run's hyperparameters by name.
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, Value>,
    /// Sessions of one group are shown as one row (empty: the run's folder).
    #[prost(string, tag = "4")]
    pub group_name: String,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `tensorboard.hparams.SessionEndInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionEndInfo {
    /// [`STATUS_SUCCESS`].
    #[prost(int32, tag = "1")]
    pub status: i32,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}

/// `google.protobuf.Value` (the kinds an hparam can have in TensorBoard's table).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    /// The value.
    #[prost(oneof = "value::Kind", tags = "2, 3, 4")]
    pub kind: Option<value::Kind>,
}

/// The `kind` oneof of [`Value`].
pub mod value {
    /// `Value.kind`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        /// A number.
        #[prost(double, tag = "2")]
        NumberValue(f64),
        /// A string.
        #[prost(string, tag = "3")]
        StringValue(String),
        /// A boolean.
        #[prost(bool, tag = "4")]
        BoolValue(bool),
    }
}
