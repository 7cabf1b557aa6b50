//! The real `torch` binary on every shipped config (train, resume exactly, eval, predict)
//! and stopped by Ctrl-C inside an epoch (see `common/tests/binaries`). One intra-op thread:
//! the tests of this crate run in parallel on two cores.

#[path = "../../common/tests/binaries/mod.rs"]
mod binaries;

#[test]
fn every_config_trains_resumes_exactly_evaluates_and_predicts() {
    binaries::walk::walk(env!("CARGO_BIN_EXE_torch"), &["--threads", "1"]);
}

#[test]
fn ctrl_c_inside_an_epoch_stops_within_a_step_and_resumes_exactly() {
    binaries::interrupt::ctrl_c_inside_an_epoch_stops_within_a_step(
        env!("CARGO_BIN_EXE_torch"),
        &["--threads", "1"],
    );
}
