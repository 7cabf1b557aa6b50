//! Black-box tests of `common::metrics` against hand-worked cases: AUC with ties, F1 with a
//! class never predicted, confusion counts, log loss, extreme logits, multiclass one-vs-rest.

use common::metrics::{
    evaluate, loss_from_logits, predictions, probabilities, roc_auc, roc_auc_ovr,
};
use common::spec::Head;
use ndarray::{array, Array2};

const BCE: Head = Head::Bce;

fn names(k: usize) -> Vec<String> {
    (0..k).map(|c| format!("c{c}")).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn auc_reference_case() {
    // Positives 0.35, 0.8; negatives 0.1, 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4; lost:
    // 0.35<0.4. AUC = 3/4.
    assert_eq!(
        roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
        Some(0.75)
    );
}

#[test]
fn auc_ties_count_one_half() {
    // Positives 0.5, 0.8; negatives 0.5, 0.2. Pairs: (0.5 vs 0.5) tie → 1/2, (0.5 vs 0.2) → 1,
    // (0.8 vs 0.5) → 1, (0.8 vs 0.2) → 1. AUC = 3.5 / 4 = 0.875.
    assert_eq!(
        roc_auc(&[0.5, 0.5, 0.2, 0.8], &[true, false, false, true]),
        Some(0.875)
    );
    // Three-way tie group: positives 0.3, 0.3, 0.9; negatives 0.3, 0.1.
    // 0.3 vs 0.3 → 1/2 (twice), 0.3 vs 0.1 → 1 (twice), 0.9 vs both → 2. Total 5 / 6.
    let auc = roc_auc(
        &[0.3, 0.3, 0.3, 0.9, 0.1],
        &[true, false, true, true, false],
    )
    .expect("both groups");
    assert!(close(auc, 5.0 / 6.0), "{auc}");
}

#[test]
fn auc_perfect_inverse_and_undefined() {
    let scores = [0.1, 0.2, 0.7, 0.9];
    assert_eq!(roc_auc(&scores, &[false, false, true, true]), Some(1.0));
    assert_eq!(roc_auc(&scores, &[true, true, false, false]), Some(0.0));
    assert_eq!(roc_auc(&scores, &[false; 4]), None);
}

#[test]
fn f1_of_a_class_never_predicted_is_zero_not_nan() {
    // Every logit is negative: everything predicted class 0.
    let logits = array![[-1.0f32], [-2.0], [-0.5], [-3.0]];
    let r = evaluate(&logits, &[0, 0, 1, 1], BCE, &names(2));
    let (c0, c1) = (&r.per_class[0], &r.per_class[1]);
    assert_eq!(
        (c1.precision, c1.recall, c1.f1, c1.support),
        (0.0, 0.0, 0.0, 2)
    );
    // Class 0: TP 2 of 4 predicted (precision 1/2), 2 of 2 found (recall 1), F1 = 2/3.
    assert!(close(c0.precision, 0.5) && close(c0.recall, 1.0) && close(c0.f1, 2.0 / 3.0));
    assert!(close(r.macro_f1, 1.0 / 3.0));
    assert!(close(r.accuracy, 0.5));
    assert!(r
        .per_class
        .iter()
        .all(|m| m.f1.is_finite() && m.precision.is_finite()));
}

#[test]
fn confusion_counts_true_rows_predicted_columns() {
    // argmax per row: 0, 1, 2, 2, 0, 1 (row 4 ties 0 and 1: first max wins).
    let logits = array![
        [2.0f32, 0.0, 0.0],
        [0.0, 2.0, 0.0],
        [0.0, 0.0, 2.0],
        [0.0, 1.0, 2.0],
        [1.0, 1.0, 0.0],
        [0.0, 3.0, 1.0]
    ];
    let y = [0, 1, 2, 1, 1, 2];
    assert_eq!(
        predictions(&logits, Head::Softmax { classes: 3 }),
        vec![0, 1, 2, 2, 0, 1]
    );
    let r = evaluate(&logits, &y, Head::Softmax { classes: 3 }, &names(3));
    assert_eq!(r.confusion, array![[1usize, 0, 0], [1, 1, 1], [0, 1, 1]]);
    assert_eq!(
        r.per_class.iter().map(|m| m.support).collect::<Vec<_>>(),
        vec![1, 3, 2]
    );
    assert!(close(r.accuracy, 3.0 / 6.0));
    // Class 1: TP 1, predicted 2 times, 3 true → P 1/2, R 1/3, F1 = 2·(1/6)/(5/6) = 2/5.
    assert!(close(r.per_class[1].f1, 0.4));
}

#[test]
fn log_loss_known_values() {
    // A zero logit is p = 1/2 for either label: ln 2. Equal softmax logits: ln K.
    let zeros = Array2::<f32>::zeros((4, 1));
    assert!(close(
        loss_from_logits(&zeros, &[0, 1, 1, 0], BCE),
        std::f64::consts::LN_2
    ));
    let flat = Array2::<f32>::from_elem((3, 5), 0.7);
    assert!(close(
        loss_from_logits(&flat, &[0, 3, 4], Head::Softmax { classes: 5 }),
        5f64.ln()
    ));
    // Moderate logits agree with the naive -ln σ(±z).
    let z = [2.0f32, -1.5, 0.25];
    let y = [1, 1, 0];
    let naive: f64 = z
        .iter()
        .zip(&y)
        .map(|(&z, &t)| {
            let p = 1.0 / (1.0 + (-f64::from(z)).exp());
            -(if t == 1 { p.ln() } else { (1.0 - p).ln() })
        })
        .sum::<f64>()
        / 3.0;
    let logits = Array2::from_shape_vec((3, 1), z.to_vec()).expect("shape");
    assert!(close(loss_from_logits(&logits, &y, BCE), naive));
    // Softmax on two logits equals BCE on their difference.
    let two = array![[0.5f32, 2.5], [1.0, -1.0]];
    let diff = array![[2.0f32], [-2.0]];
    let a = loss_from_logits(&two, &[1, 1], Head::Softmax { classes: 2 });
    assert!(close(a, loss_from_logits(&diff, &[1, 1], BCE)));
}

#[test]
fn extreme_logits_stay_finite() {
    // Confidently wrong by 1e4 costs exactly 1e4 (softplus(1e4) = 1e4 + ln(1 + e^-1e4)).
    let wrong = array![[1e4f32], [-1e4]];
    assert_eq!(loss_from_logits(&wrong, &[0, 1], BCE), 1e4);
    let right = array![[1e4f32], [-1e4]];
    assert_eq!(loss_from_logits(&right, &[1, 0], BCE), 0.0);
    let sm = array![[1e4f32, -1e4, 0.0]];
    assert_eq!(
        loss_from_logits(&sm, &[1], Head::Softmax { classes: 3 }),
        2e4
    );
    for (logits, head) in [(wrong, BCE), (sm, Head::Softmax { classes: 3 })] {
        let p = probabilities(&logits, head);
        assert!(p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
        assert!(p.rows().into_iter().all(|r| close(r.sum(), 1.0)));
        let r = evaluate(&logits, &vec![0; logits.nrows()], head, &[]);
        assert!(r.log_loss.is_finite());
    }
}

#[test]
fn probabilities_bce_columns_are_one_minus_p_and_p() {
    let logits = array![[0.0f32], [3.0], [-2.0]];
    let p = probabilities(&logits, BCE);
    assert_eq!(p.dim(), (3, 2));
    for (i, &z) in [0.0f64, 3.0, -2.0].iter().enumerate() {
        let s = 1.0 / (1.0 + (-z).exp());
        assert!(close(p[[i, 1]], s) && close(p[[i, 0]], 1.0 - s), "row {i}");
    }
}

#[test]
fn multiclass_ovr_hand_worked() {
    let y = [0, 0, 1, 1, 2, 2];
    let scores = array![
        [0.9, 0.05, 0.05],
        [0.3, 0.4, 0.3],
        [0.5, 0.3, 0.2],
        [0.1, 0.8, 0.1],
        [0.2, 0.6, 0.2],
        [0.4, 0.5, 0.5]
    ];
    // Class 0: positives 0.9, 0.3 vs negatives 0.5, 0.1, 0.2, 0.4 → 4 + 2 = 6 of 8.
    // Class 1: positives 0.3, 0.8 vs 0.05, 0.4, 0.6, 0.5 → 1 + 4 = 5 of 8.
    // Class 2: positives 0.2, 0.5 vs 0.05, 0.3, 0.2, 0.1 → 2.5 (one tie) + 4 = 6.5 of 8.
    let expected = (6.0 / 8.0 + 5.0 / 8.0 + 6.5 / 8.0) / 3.0;
    assert!(close(roc_auc_ovr(&scores, &y).expect("defined"), expected));
    // A class absent from y is skipped, not counted as 0 or 1.
    let y2 = [0, 0, 1, 1, 0, 1];
    let c0 = roc_auc(&scores.column(0).to_vec(), &y2.map(|t| t == 0)).expect("c0");
    let c1 = roc_auc(&scores.column(1).to_vec(), &y2.map(|t| t == 1)).expect("c1");
    assert!(close(
        roc_auc_ovr(&scores, &y2).expect("defined"),
        (c0 + c1) / 2.0
    ));
    assert_eq!(roc_auc_ovr(&scores, &[1; 6]), None);
}

#[test]
fn evaluate_auc_is_binary_for_two_classes_and_ovr_beyond() {
    let bce = array![[-2.0f32], [0.5], [0.1], [3.0]];
    let y = [0, 0, 1, 1];
    let p = probabilities(&bce, BCE);
    let r = evaluate(&bce, &y, BCE, &names(2));
    assert_eq!(
        r.roc_auc,
        roc_auc(&p.column(1).to_vec(), &y.map(|t| t == 1))
    );
    assert_eq!(r.roc_auc, Some(0.75));

    let sm = array![
        [2.0f32, 0.0, 1.0],
        [0.0, 1.0, 0.5],
        [1.0, 1.0, 2.0],
        [0.2, 0.1, 0.0]
    ];
    let y = [0, 1, 2, 0];
    let head = Head::Softmax { classes: 3 };
    let r = evaluate(&sm, &y, head, &names(3));
    let expected = roc_auc_ovr(&probabilities(&sm, head), &y).expect("defined");
    assert!(close(r.roc_auc.expect("defined"), expected));
    // Only one class present: no AUC at all.
    assert_eq!(evaluate(&sm, &[2; 4], head, &names(3)).roc_auc, None);
}

#[test]
fn render_names_every_number_and_class() {
    let names = vec![
        "Adelie".to_string(),
        "Chinstrap".to_string(),
        "Gentoo".to_string(),
    ];
    let logits = array![
        [3.0f32, 0.0, 0.0],
        [0.0, 3.0, 0.0],
        [0.0, 0.0, 3.0],
        [3.0, 0.0, 0.0]
    ];
    let r = evaluate(&logits, &[0, 1, 2, 1], Head::Softmax { classes: 3 }, &names);
    let text = r.render();
    for needle in [
        "accuracy",
        "0.7500",
        "macro F1",
        "ROC AUC",
        "log loss",
        "precision",
        "support",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let chinstrap_row = text
        .lines()
        .rfind(|l| l.starts_with("Chinstrap"))
        .expect("matrix row");
    let counts: Vec<&str> = chinstrap_row.split_whitespace().skip(1).collect();
    assert_eq!(counts, ["1", "1", "0"], "{text}");
    let undefined = evaluate(&logits, &[0; 4], Head::Softmax { classes: 3 }, &names);
    assert!(undefined.render().contains("n/a"));
}
