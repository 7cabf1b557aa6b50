//! Initial weights from another model (`model.init_from`): every parameter of the spec is
//! taken by name from the weights file, except the output layer's when the number of classes
//! differs, which keeps its seeded initial values; anything else that does not fit is an
//! error naming the tensor and both shapes.

use std::path::Path;

use crate::checkpoint::WeightsFile;
use crate::spec::{selects, ModelSpec};
use crate::tensor::{find, NamedTensors};
use crate::{Error, Result};

/// The initial weights of a fine-tuned run.
#[derive(Debug, Clone)]
pub struct Pretrained {
    /// Every parameter of the spec, in spec order, then every buffer (BatchNorm statistics).
    pub params: NamedTensors,
    /// The tensors that kept their seeded values: selected by `reinit`, or the output layer's
    /// when the number of classes differs.
    pub reinitialised: Vec<String>,
}

/// What does not fit between a weights file and the model, gathered so that one error lists
/// every tensor at fault (as PyTorch's `load_state_dict` does), not only the first.
#[derive(Default)]
struct Misfits {
    missing: Vec<String>,
    unexpected: Vec<String>,
    wrong_shape: Vec<String>,
}

impl Misfits {
    fn into_result(self, spec: &ModelSpec, path: &Path) -> Result<()> {
        let list = |what: &str, v: &[String]| {
            let more = v.len().saturating_sub(12);
            let mut s = format!("{what} ({}): {}", v.len(), v[..v.len() - more].join(", "));
            if more > 0 {
                s.push_str(&format!(", … and {more} more"));
            }
            s
        };
        let mut parts = Vec::new();
        for (what, v) in [
            ("missing", &self.missing),
            ("unexpected", &self.unexpected),
            ("wrong shape", &self.wrong_shape),
        ] {
            if !v.is_empty() {
                parts.push(list(what, v));
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        let msg = format!(
            "the weights do not fit the model {}: {}",
            spec.describe(),
            parts.join("; ")
        );
        Err(Error::checkpoint(path, msg))
    }
}

/// Takes every parameter and buffer of `spec` from `file` (read from `path`), or from `seeded`
/// for those that a prefix of `reinit` selects (`model.reinit`) and for the output layer when
/// its shape differs only in its number of outputs (a new head for another class count). A
/// `reinit` prefix that selects nothing is an error; so is any tensor missing, unexpected or
/// of the wrong shape, all of them named in one message.
pub fn from_pretrained(
    spec: &ModelSpec,
    file: &WeightsFile,
    seeded: &NamedTensors,
    reinit: &[String],
    path: &Path,
) -> Result<Pretrained> {
    let params = spec.params();
    if let Some(bad) = reinit
        .iter()
        .find(|r| !params.iter().any(|p| selects(r, &p.name)))
    {
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        return Err(Error::config(
            "model.reinit",
            format!(
                "\"{bad}\" matches no parameter; the parameters are {}",
                names.join(", ")
            ),
        ));
    }
    let head_layer = params.last().map(|p| p.layer);
    let (mut out, mut reinitialised) = (Vec::new(), Vec::new());
    let mut misfits = Misfits::default();
    let seeded_of = |name: &str| find(seeded, name).expect("the seeded init covers the spec");
    let state = params
        .iter()
        .map(|p| (p.name.clone(), p.shape.clone(), Some(p.layer) == head_layer))
        .chain(spec.buffers().into_iter().map(|b| (b.name, b.shape, false)));
    for (name, shape, in_head) in state {
        if reinit.iter().any(|r| selects(r, &name)) {
            out.push((name.clone(), seeded_of(&name).clone()));
            reinitialised.push(name);
            continue;
        }
        let Some(t) = find(&file.tensors, &name) else {
            misfits.missing.push(format!("'{name}' {shape:?}"));
            continue;
        };
        if t.shape == shape {
            out.push((name, t.clone()));
        } else if in_head && t.shape.get(1..) == shape.get(1..) {
            out.push((name.clone(), seeded_of(&name).clone()));
            reinitialised.push(name);
        } else {
            let msg = format!("'{name}' is {:?} there, the model needs {shape:?}", t.shape);
            misfits.wrong_shape.push(msg);
        }
    }
    let known: Vec<String> = spec.state().into_iter().map(|(n, _)| n).collect();
    for (name, t) in &file.tensors {
        if spec.claims(name) && !known.contains(name) {
            misfits.unexpected.push(format!("'{name}' {:?}", t.shape));
        }
    }
    misfits.into_result(spec, path)?;
    Ok(Pretrained {
        params: out,
        reinitialised,
    })
}
