//! TensorBoard event files (the chapter's section 8: "from prints to CSV or TensorBoard"): an
//! append-only file of framed records (`record`), each an `Event` message (`proto`). This
//! module builds the events twin-nets writes (scalars, a text, the hparams plugin's session
//! start and end) and appends them; what a run writes, and when, is `fit`'s business.
//!
//! TensorBoard reads a folder's files whose names contain `tfevents`, tails them while they
//! grow, and skips an incomplete last record (a writer killed mid-append) until it is whole.

pub mod proto;
pub mod record;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use prost::Message;

use crate::{Error, Result};
use proto::{event, h_params_plugin_data, summary_value, value};
use proto::{Event, HParamsPluginData, PluginData, Summary, SummaryMetadata, SummaryValue};

/// Seconds since the Unix epoch, now (an event's `wall_time`).
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The first event of every file: the format version TensorBoard expects.
pub fn file_version(wall_time: f64) -> Event {
    Event {
        wall_time,
        step: 0,
        what: Some(event::What::FileVersion("brain.Event:2".into())),
    }
}

/// A summary event holding `values` at `step`.
pub fn summary(wall_time: f64, step: i64, values: Vec<SummaryValue>) -> Event {
    Event {
        wall_time,
        step,
        what: Some(event::What::Summary(Summary { value: values })),
    }
}

/// A scalar (the Scalars tab), stored as f32 as TensorBoard does.
pub fn scalar(tag: &str, value: f64) -> SummaryValue {
    SummaryValue {
        tag: tag.into(),
        metadata: None,
        value: Some(summary_value::Value::SimpleValue(value as f32)),
    }
}

/// A markdown text (the Text tab): a scalar string tensor for the `text` plugin.
pub fn text(tag: &str, markdown: &str) -> SummaryValue {
    SummaryValue {
        tag: tag.into(),
        metadata: Some(plugin("text", Vec::new())),
        value: Some(summary_value::Value::Tensor(proto::TensorProto {
            dtype: proto::DT_STRING,
            tensor_shape: Some(proto::TensorShapeProto::default()),
            string_val: vec![markdown.as_bytes().to_vec()],
        })),
    }
}

/// An hparams value: a number, string or boolean (what TensorBoard's table shows).
#[derive(Debug, Clone, PartialEq)]
pub enum HParam {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// The hparams plugin's session start: the run's hyperparameters (the HParams tab's row).
pub fn session_start(hparams: &BTreeMap<String, HParam>, start_time_secs: f64) -> SummaryValue {
    let hparams = hparams
        .iter()
        .map(|(k, v)| {
            let kind = match v {
                HParam::Number(x) => value::Kind::NumberValue(*x),
                HParam::Text(s) => value::Kind::StringValue(s.clone()),
                HParam::Bool(b) => value::Kind::BoolValue(*b),
            };
            (k.clone(), proto::Value { kind: Some(kind) })
        })
        .collect();
    let start = proto::SessionStartInfo {
        hparams,
        group_name: String::new(),
        start_time_secs,
    };
    hparams_value(
        "_hparams_/session_start_info",
        h_params_plugin_data::Data::SessionStartInfo(start),
    )
}

/// The hparams plugin's session end, with a success status.
pub fn session_end(end_time_secs: f64) -> SummaryValue {
    let end = proto::SessionEndInfo {
        status: proto::STATUS_SUCCESS,
        end_time_secs,
    };
    hparams_value(
        "_hparams_/session_end_info",
        h_params_plugin_data::Data::SessionEndInfo(end),
    )
}

/// The tags of the hparams plugin's session summaries.
pub fn is_session_tag(tag: &str) -> bool {
    tag.starts_with("_hparams_/")
}

fn hparams_value(tag: &str, data: h_params_plugin_data::Data) -> SummaryValue {
    let content = HParamsPluginData {
        version: 0,
        data: Some(data),
    };
    // The plugin's null tensor (`hparams.metadata.NULL_TENSOR`): a float tensor of shape [0].
    let null = proto::TensorProto {
        dtype: proto::DT_FLOAT,
        tensor_shape: Some(proto::TensorShapeProto {
            dim: vec![proto::TensorShapeDim { size: 0 }],
        }),
        string_val: Vec::new(),
    };
    SummaryValue {
        tag: tag.into(),
        metadata: Some(plugin("hparams", content.encode_to_vec())),
        value: Some(summary_value::Value::Tensor(null)),
    }
}

fn plugin(name: &str, content: Vec<u8>) -> SummaryMetadata {
    SummaryMetadata {
        plugin_data: Some(PluginData {
            plugin_name: name.into(),
            content,
        }),
    }
}

/// The whole events at the start of an event file's bytes, each with the byte offset just
/// past it. Reading stops at a torn or corrupt record (or one that is not an `Event`).
pub fn read_events(bytes: &[u8]) -> Vec<(Event, usize)> {
    let (found, _) = record::read_records(bytes);
    found
        .into_iter()
        .map_while(|f| Event::decode(f.data).ok().map(|e| (e, f.end)))
        .collect()
}

/// An event file open for appending.
#[derive(Debug)]
pub struct EventWriter {
    file: File,
    path: PathBuf,
}

impl EventWriter {
    /// Creates (or empties) the file at `path`.
    pub fn create(path: &Path) -> Result<EventWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(EventWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Opens the file at `path` (created when absent) cut to its first `keep` bytes, to
    /// append after them: what followed (later steps, a torn record) is dropped.
    pub fn truncate_and_append(path: &Path, keep: u64) -> Result<EventWriter> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|f| f.set_len(keep).map(|()| f))
            .map_err(|e| Error::io(path, e))?;
        Ok(EventWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends `events`, framed, in one write: a kill can tear at most the last record.
    pub fn append(&mut self, events: &[Event]) -> Result<()> {
        let mut bytes = Vec::new();
        for e in events {
            record::frame_into(&mut bytes, &e.encode_to_vec());
        }
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}
