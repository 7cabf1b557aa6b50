//! README claims about the `scratch` binary that no other test runs: a tabular config names
//! no column, so `configs/breast_cancer.toml` (binary, one logit and BCE) trains on the
//! penguins file with only `data.path` and `data.target` changed, inferring the column types
//! and switching to a softmax head over the three species.

mod cli_support;
use cli_support::*;

use common::checkpoint::Checkpoint;
use common::spec::Head;

#[test]
fn a_tabular_config_trains_on_another_csv_with_only_path_and_target_changed() {
    let dir = workdir();
    let args = [
        "train",
        "-q",
        "-c",
        "configs/breast_cancer.toml",
        "--set",
        "data.path=\"data/penguins.csv\"",
        "--set",
        "data.target=\"species\"",
        "--set",
        "train.epochs=2",
        "--out",
        "run",
    ];
    let (ok, _, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    let ckpt = Checkpoint::load(&dir.path().join("run/best.safetensors")).unwrap();
    let meta = &ckpt.meta;
    assert_eq!(
        meta.preprocessing.class_names,
        ["Adelie", "Chinstrap", "Gentoo"]
    );
    assert_eq!(
        meta.spec.head,
        Head::Softmax { classes: 3 },
        "the head follows the classes"
    );
    // Text columns became one-hot features, numbers one feature each: 5 numeric columns
    // (4 measurements and year), island (3 categories) and sex (2) make 10 inputs.
    let pre = &meta.preprocessing;
    assert_eq!(pre.n_features(), 10, "{:?}", pre.feature_names());
    assert!(pre.feature_names().contains(&"island=Biscoe".to_string()));
    assert_eq!(meta.spec.input_shape, [10]);
}
