//! Initial weights from another model (`model.init_from`): every parameter of the spec is
//! taken by name from the weights file, except the output layer's when the number of classes
//! differs, which keeps its seeded initial values; anything else that does not fit is an
//! error naming the tensor and both shapes.

use std::path::Path;

use crate::checkpoint::WeightsFile;
use crate::spec::{selects, ModelSpec, ParamInfo};
use crate::tensor::{find, NamedTensors};
use crate::{Error, Result};

/// The initial weights of a fine-tuned run.
#[derive(Debug, Clone)]
pub struct Pretrained {
    /// Every parameter of the spec, in spec order.
    pub params: NamedTensors,
    /// The tensors that kept their seeded values: selected by `reinit`, or the output layer's
    /// when the number of classes differs.
    pub reinitialised: Vec<String>,
}

/// Takes every parameter of `spec` from `file` (read from `path`), or from `seeded` for those
/// that a prefix of `reinit` selects (`model.reinit`) and for the output layer when its shape
/// differs only in its number of outputs. A `reinit` prefix that selects nothing is an error.
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
    for p in &params {
        if reinit.iter().any(|r| selects(r, &p.name)) {
            let seeded = find(seeded, &p.name).expect("the seeded init covers the spec");
            out.push((p.name.clone(), seeded.clone()));
            reinitialised.push(p.name.clone());
            continue;
        }
        let t = find(&file.tensors, &p.name).ok_or_else(|| missing(p, file, path))?;
        if t.shape == p.shape {
            out.push((p.name.clone(), t.clone()));
        } else if Some(p.layer) == head_layer && t.shape.get(1..) == p.shape.get(1..) {
            let seeded = find(seeded, &p.name).expect("the seeded init covers the spec");
            out.push((p.name.clone(), seeded.clone()));
            reinitialised.push(p.name.clone());
        } else {
            return Err(Error::checkpoint(
                path,
                format!(
                    "tensor '{}' has shape {:?} there, the model {} needs {:?}",
                    p.name,
                    t.shape,
                    spec.describe(),
                    p.shape
                ),
            ));
        }
    }
    if let Some((name, t)) = file
        .tensors
        .iter()
        .find(|(n, _)| n.starts_with("net.") && !params.iter().any(|p| &p.name == n))
    {
        return Err(Error::checkpoint(
            path,
            format!(
                "tensor '{name}' {:?} there is not a parameter of the model {}: another architecture",
                t.shape,
                spec.describe()
            ),
        ));
    }
    Ok(Pretrained {
        params: out,
        reinitialised,
    })
}

fn missing(p: &ParamInfo, file: &WeightsFile, path: &Path) -> Error {
    let names: Vec<&str> = file.tensors.iter().map(|(n, _)| n.as_str()).collect();
    Error::checkpoint(
        path,
        format!(
            "tensor '{}' {:?} of the model is missing; the file holds {}",
            p.name,
            p.shape,
            if names.is_empty() {
                "no tensor".to_string()
            } else {
                names.join(", ")
            }
        ),
    )
}
