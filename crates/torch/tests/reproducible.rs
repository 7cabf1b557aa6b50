//! Same seed, same numbers for the `torch` binary on the CPU (same libtorch build, same thread
//! count): the README's reproducibility statement (see
//! `common/tests/binaries/reproducible.rs`). Penguins draws its dropout masks from libtorch's
//! generator, seeded from the config's seed.

#[path = "../../common/tests/binaries/mod.rs"]
mod binaries;

#[test]
fn penguins_twice_with_one_seed_gives_identical_files_and_predictions() {
    binaries::reproducible::penguins_twice(env!("CARGO_BIN_EXE_torch"), &["--threads", "1"]);
}

#[test]
fn augmented_cnn_twice_with_one_seed_gives_identical_files() {
    binaries::reproducible::augmented_cnn_twice(env!("CARGO_BIN_EXE_torch"), &["--threads", "1"]);
}

#[test]
fn fine_tuning_keeps_frozen_tensors_bit_identical() {
    binaries::freeze::frozen_tensors_stay_bit_identical(
        env!("CARGO_BIN_EXE_torch"),
        &["--threads", "1"],
    );
}

#[test]
fn a_checkpoint_with_a_stray_model_tensor_is_refused() {
    binaries::stray::a_stray_model_tensor_is_refused(
        env!("CARGO_BIN_EXE_torch"),
        &["--threads", "1"],
    );
}

#[test]
fn every_csv_dialect_trains_and_predicts_as_the_plain_file() {
    binaries::dialects::every_dialect_reads_as_the_plain_file(
        env!("CARGO_BIN_EXE_torch"),
        &["--threads", "1"],
    );
}

#[test]
fn an_image_folder_reads_the_librarys_pixels() {
    binaries::images::same_pixels_as_the_library(env!("CARGO_BIN_EXE_torch"));
}

#[test]
fn a_bad_image_file_is_named_or_skipped_with_a_list() {
    binaries::images::a_bad_file_is_named_or_skipped(env!("CARGO_BIN_EXE_torch"));
}

#[test]
fn a_closed_pipe_costs_nothing() {
    binaries::pipe::a_closed_pipe_costs_nothing(env!("CARGO_BIN_EXE_torch"));
}

#[test]
fn a_run_folder_resumes_without_its_config_and_predicts() {
    binaries::folders::a_run_folder_resumes_and_predicts(env!("CARGO_BIN_EXE_torch"));
}

#[test]
fn the_one_line_start_trains_resumes_and_prints_its_config() {
    binaries::csv_start::the_one_line_start_trains_resumes_and_prints_its_config(env!(
        "CARGO_BIN_EXE_torch"
    ));
}
