//! Unit tests of the resume checks: which config keys may change, `auto` resolution, and the
//! exact comparison that names the first differing field.

use super::*;
use crate::spec::Head;

fn bce_spec() -> ModelSpec {
    let cfg = Config::default();
    ModelSpec::from_config(&cfg, 2, None, 2).expect("chapter spec")
}

#[test]
fn difference_ignores_epochs_and_names_the_key() {
    let spec = bce_spec();
    let mut a = Config::default();
    let mut b = a.clone();
    b.train.epochs = 99;
    b.train.log_grad_norms = true;
    assert_eq!(config_difference(&a, &b, &spec), None);
    b.optim.lr = 0.25;
    b.train.batch_size = 32;
    // Keys without effect (the gamma of a constant schedule) are no difference.
    b.train.schedule.gamma = 0.5;
    let (key, ours, theirs) = config_difference(&a, &b, &spec).unwrap();
    assert_eq!(
        (key.as_str(), ours.as_str(), theirs.as_str()),
        ("optim.lr", "0.5", "0.25")
    );
    b.optim.lr = a.optim.lr;
    assert_eq!(
        config_difference(&a, &b, &spec).unwrap().0,
        "train.batch_size"
    );
    b = a.clone();
    // No effect on the circle (generated data): not a difference.
    b.data.target = Some("y".into());
    assert_eq!(config_difference(&a, &b, &spec), None);
    b.data.source = crate::config::Source::Csv;
    b.data.path = Some("t.csv".into());
    let (key, ours, theirs) = config_difference(&a, &b, &spec).unwrap();
    assert_eq!(
        (key.as_str(), ours.as_str(), theirs.as_str()),
        ("data.categorical", "(absent)", "[]")
    );
    a.data.source = crate::config::Source::Csv;
    a.data.path = Some("t.csv".into());
    assert_eq!(
        config_difference(&a, &b, &spec).unwrap(),
        ("data.target".into(), "(absent)".into(), "\"y\"".into())
    );
}

#[test]
fn auto_choices_compare_as_what_they_resolve_to() {
    let spec = bce_spec();
    assert_eq!(spec.head, Head::Bce);
    let chapter = Config::default();
    let mut spelled = chapter.clone();
    spelled.data.scaling = crate::config::Scaling::None;
    spelled.model.head = HeadKind::Bce;
    spelled.train.mode = MonitorMode::Min;
    assert_eq!(config_difference(&chapter, &spelled, &spec), None);
    spelled.data.scaling = crate::config::Scaling::Standard;
    assert_eq!(
        config_difference(&chapter, &spelled, &spec).unwrap().0,
        "data.scaling"
    );
}

#[test]
fn one_ulp_is_a_difference_named_with_its_column() {
    #[derive(Serialize)]
    struct Col {
        name: String,
        mean: f64,
    }
    #[derive(Serialize)]
    struct Pre {
        columns: Vec<Col>,
    }
    let x = 43.921_929_824_561_41_f64;
    let pre = |m: f64| Pre {
        columns: vec![
            Col {
                name: "a".into(),
                mean: 1.0,
            },
            Col {
                name: "bill_length_mm".into(),
                mean: m,
            },
        ],
    };
    assert_eq!(exact_difference(&pre(x), &pre(x)), None);
    let next = f64::from_bits(x.to_bits() + 1);
    let (field, ours, theirs) = exact_difference(&pre(x), &pre(next)).expect("differs");
    assert_eq!(field, "columns[1 \"bill_length_mm\"].mean");
    assert_eq!(ours, format!("{x:?}"));
    assert_eq!(theirs, format!("{next:?}"));
    assert_ne!(ours, theirs, "the two values are shown in full");
    // -0.0 == 0.0 as floats, but not bit for bit.
    assert!(exact_difference(&pre(0.0), &pre(-0.0)).is_some());
}
