//! `common`: everything both backends share and that is not the point of the lesson.
//!
//! Data (synthetic, CSV, digits), seeds, splits, preprocessing, the model spec and its initial
//! weights, metrics, the history CSV, the checkpoint format and the epoch loop ([`fit`]) that
//! drives any [`fit::Backend`]. Chapter map: `utils.set_seed` → [`seed`], `data.make_toy_data` →
//! [`data::synthetic`], `utils.accuracy_from_logits` → [`metrics`], `save_history_csv` →
//! [`history`], `save_checkpoint` → [`checkpoint`], `train.fit` → [`fit`].

pub mod app;
pub mod checkpoint;
pub mod config;
pub mod console;
pub mod data;
pub mod error;
pub mod fit;
pub mod fpenv;
pub mod frame;
pub mod history;
pub mod init;
pub mod loss_weights;
pub mod metrics;
pub mod plot;
pub mod preprocess;
pub mod schema;
pub mod seed;
pub mod spec;
pub mod split;
pub mod tensor;
pub mod tensorboard;

pub use error::{Error, Result};
