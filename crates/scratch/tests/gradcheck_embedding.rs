//! The embedding tables' hand-written backward pass (a scatter-add into the rows the batch
//! read) against finite differences in f64, alone and inside an MLP under the loss; the
//! reserved row 0 (`padding_idx`) gets no gradient even when the batch reads it; and a planted
//! fault (a scatter that assigns instead of adding, so a row read twice keeps one gradient)
//! fails the same check.

#[path = "gradcheck_support/mod.rs"]
mod gradcheck_support;

use common::config::{Config, ModelKind};
use common::seed::Rng;
use common::spec::{EmbedTable, LayerSpec, ModelSpec};
use gradcheck_support::{random, EPS, TOL};
use ndarray::{Array2, ArrayView2};
use rand::{Rng as _, SeedableRng};
use scratch::gradcheck::{check_layer, gradcheck};
use scratch::layers::{build, Buf, Layer, Mode, Param, ParamMut};

/// Two tables (5 rows × 3, 4 rows × 2) after 3 dense features.
fn spec() -> LayerSpec {
    let table = |key: &str, rows, dim| EmbedTable {
        key: key.into(),
        rows,
        dim,
    };
    LayerSpec::Embed {
        dense: 3,
        tables: vec![table("city", 5, 3), table("kind", 4, 2)],
    }
}

/// `n` examples: 3 dense features at random, then a row of each table in `1..rows` (rows
/// repeat: 8 examples over 4 and 3 rows), or also row 0 when `with_unseen`.
fn batch(n: usize, with_unseen: bool) -> Array2<f64> {
    let mut x = random(n, 5, 7);
    let low = usize::from(!with_unseen);
    for i in 0..n {
        x[[i, 3]] = (low + (i * 3) % (5 - low)) as f64;
        x[[i, 4]] = (low + (i * 5) % (4 - low)) as f64;
    }
    x
}

fn random_layer() -> Box<dyn Layer<f64>> {
    let (mut layer, out) = build::<f64>(&spec(), &[5]).expect("valid layer");
    assert_eq!(out, [3 + 3 + 2]);
    let mut rng = Rng::seed_from_u64(11);
    layer.visit_params_mut(&mut |p| {
        p.value
            .iter_mut()
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
    });
    layer
}

#[test]
fn the_scatter_add_matches_finite_differences() {
    let errors = check_layer(random_layer().as_mut(), &batch(8, false), EPS);
    let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["input", "weight", "bias"],
        "input, table 0, table 1"
    );
    for (name, err) in &errors {
        assert!(*err < TOL, "{name}: relative error {err:e}");
    }
}

#[test]
fn row_zero_is_padding_and_gets_no_gradient() {
    let mut layer = random_layer();
    let x = batch(8, true);
    assert!(
        x.column(3).iter().any(|&r| r == 0.0),
        "the batch reads row 0"
    );
    let out = layer
        .forward(Buf::from_view(x.view()), Mode::Eval)
        .view()
        .to_owned();
    let dy = Array2::from_elem(out.dim(), 1.0);
    layer.backward(dy.view(), false);
    for p in layer.params() {
        let dim = p.grad.len() / if p.grad.len() == 15 { 5 } else { 4 };
        assert!(p.grad[..dim].iter().all(|&g| g == 0.0), "row 0 trained");
        assert!(p.grad[dim..].iter().any(|&g| g != 0.0), "no row trained");
    }
}

#[test]
fn inside_an_mlp_under_the_loss() {
    let mut cfg = Config::default();
    cfg.model.kind = ModelKind::Mlp;
    cfg.model.hidden = vec![6];
    let LayerSpec::Embed { tables, .. } = spec() else {
        unreachable!()
    };
    let spec = ModelSpec::with_tables(&cfg, 5, None, 3, tables).expect("spec");
    assert_eq!(spec.describe(), "5→emb8→6→3 relu, softmax");
    let init = common::init::initial_params(&spec, &cfg);
    let y: Vec<usize> = (0..8).map(|i| i % 3).collect();
    let errors = gradcheck(&spec, &init, &batch(8, false), &y, EPS).expect("gradcheck");
    assert_eq!(errors[0].0, "emb.city.weight");
    for (name, err) in &errors {
        assert!(*err < TOL, "{name}: relative error {err:e}");
    }
}

/// The embedding layer with a scatter that assigns: each example's gradient overwrites its
/// row's instead of adding to it (what `dE[r] = dy[i]` in a loop does).
#[derive(Debug)]
struct Assigns {
    inner: Box<dyn Layer<f64>>,
    x: Array2<f64>,
    grads: Vec<Vec<f64>>,
    dx: Array2<f64>,
}

impl Layer<f64> for Assigns {
    fn forward(&mut self, x: Buf<f64>, mode: Mode<'_>) -> Buf<f64> {
        self.x = x.view().to_owned();
        self.inner.forward(x, mode)
    }
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, f64>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, f64>> {
        self.dx = self.inner.backward(dy.reborrow(), need_dx)?.to_owned();
        self.grads = self
            .inner
            .params()
            .iter()
            .map(|p| p.grad.to_vec())
            .collect();
        let table0 = &mut self.grads[0];
        for (i, g) in dy.rows().into_iter().enumerate() {
            let r = self.x[[i, 3]] as usize;
            for d in 0..3 {
                table0[r * 3 + d] = g[3 + d];
            }
        }
        Some(self.dx.view())
    }
    fn params(&self) -> Vec<Param<'_, f64>> {
        let values = self.inner.params();
        values
            .into_iter()
            .zip(&self.grads)
            .map(|(p, g)| Param {
                value: p.value,
                grad: g,
            })
            .collect()
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        let mut grads = self.grads.iter();
        self.inner.visit_params_mut(&mut |p| {
            let grad = grads.next().expect("one gradient per parameter");
            f(ParamMut {
                value: p.value,
                grad,
            })
        });
    }
}

#[test]
fn a_scatter_that_assigns_fails_the_check() {
    let mut faulty = Assigns {
        inner: random_layer(),
        x: Array2::zeros((0, 0)),
        grads: Vec::new(),
        dx: Array2::zeros((0, 0)),
    };
    let errors = check_layer(&mut faulty, &batch(8, false), EPS);
    assert!(errors[1].1 > 1e-2, "table 0 passed: {:e}", errors[1].1);
    assert!(errors[2].1 < TOL, "table 1 is untouched: {:e}", errors[2].1);
}
