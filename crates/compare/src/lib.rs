//! `compare`: both routes of the chapter on one split from one initialisation — the design
//! card's `compare` binary, and the evidence that the hand-written gradients of Route 1 are
//! the gradients libtorch computes.
//!
//! * [`side`]: the side-by-side run (both backends through the same `common::fit` loop, each
//!   into its own run folder), [`table`] its table, [`report`] and [`plots`] its
//!   `report.md` and SVG plots;
//! * [`parity`]: per-step parity in f64 and loss curves in f32 (docs/PARITY.md);
//! * [`bench`]: both backends' throughput on the workloads of both routes;
//! * [`caps`]: what each backend can build, checked before anything trains;
//! * [`factory`]: the two backends as `common::app::BackendFactory`s; [`cli`]: the command line.

pub mod bench;
pub mod caps;
pub mod cli;
pub mod factory;
pub mod parity;
pub mod plots;
pub mod report;
pub mod side;
pub mod table;
