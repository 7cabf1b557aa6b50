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
    /// One error listing every misfit, with `hint` (what would fit) at the end.
    fn into_result(mut self, spec: &ModelSpec, path: &Path, hint: &str) -> Result<()> {
        // Weights before the scalar counters (BatchNorm's `num_batches_tracked`, shape []):
        // the first names shown are the ones that tell what the file holds.
        self.unexpected.sort_by_key(|s| s.ends_with(" []"));
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
            "the weights do not fit the model {}: {}{hint}",
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
    if !params.is_empty()
        && params
            .iter()
            .all(|p| reinit.iter().any(|r| selects(r, &p.name)))
    {
        let msg = "selects every parameter: no weight of model.init_from would be used (leave \
                   model.init_from out to train from the seed)";
        return Err(Error::config("model.reinit", msg));
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
    let hint = blocks_hint(&file.tensors, &known);
    misfits.into_result(spec, path, &hint)?;
    Ok(Pretrained {
        params: out,
        reinitialised,
    })
}
/// What would fit a file of ResNet stages that the model's do not match: its blocks per stage
/// (`model.blocks`), or that its Bottleneck blocks (resnet50 and deeper) are not built here.
fn blocks_hint(file: &NamedTensors, known: &[String]) -> String {
    let theirs = stage_blocks(file.iter().map(|(n, _)| n.as_str()));
    let ours = stage_blocks(known.iter().map(String::as_str));
    if theirs.is_empty() || theirs == ours {
        return String::new();
    }
    if file
        .iter()
        .any(|(n, _)| n.starts_with("layer") && n.contains(".conv3."))
    {
        return "; the file's blocks are Bottleneck blocks (conv3: resnet50 and deeper), which \
                these routes do not build (BasicBlock ResNets only)"
            .into();
    }
    let kind = if ours.is_empty() {
        "model.kind = \"resnet\", "
    } else {
        ""
    };
    format!("; the file's ResNet stages hold {theirs:?} blocks ({kind}model.blocks = {theirs:?})")
}

/// The number of blocks of each ResNet stage that tensor `names` hold (`layer1.0.conv1.weight`,
/// `layer1.1.…`: stage 1 holds 2), empty for names of no stage: what a torchvision file of
/// another depth (resnet34's `[3, 4, 6, 3]`) needs in `model.blocks`.
fn stage_blocks<'a>(names: impl Iterator<Item = &'a str>) -> Vec<usize> {
    // Bounds no real ResNet reaches, so that an odd name cannot make a huge vector.
    const MAX_STAGES: usize = 16;
    const MAX_BLOCKS: usize = 1000;
    let mut blocks: Vec<usize> = Vec::new();
    for name in names {
        let mut parts = name.strip_prefix("layer").unwrap_or_default().split('.');
        let stage = parts.next().and_then(|s| s.parse::<usize>().ok());
        let block = parts.next().and_then(|b| b.parse::<usize>().ok());
        if let (Some(stage @ 1..=MAX_STAGES), Some(block @ 0..MAX_BLOCKS)) = (stage, block) {
            if blocks.len() < stage {
                blocks.resize(stage, 0);
            }
            blocks[stage - 1] = blocks[stage - 1].max(block + 1);
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_blocks_counts_blocks_per_stage_and_ignores_odd_names() {
        let names = [
            "conv1.weight",
            "layer1.0.conv1.weight",
            "layer1.1.bn2.bias",
            "layer2.0.conv1.weight",
            "layer18446744073709551615.0.x",
            "layer1000000000000.0.x",
            "layer3.99999999999.x",
            "layer0.0.x",
        ];
        assert_eq!(stage_blocks(names.into_iter()), [2, 1]);
    }

    #[test]
    fn the_blocks_hint_says_what_would_fit() {
        let t = crate::tensor::HostTensor::f32(vec![1], vec![0.0]);
        let file = |names: &[&str]| -> NamedTensors {
            names.iter().map(|n| (n.to_string(), t.clone())).collect()
        };
        let ours = ["layer1.0.conv1.weight".to_string()];
        let deeper = file(&["layer1.0.conv1.weight", "layer1.1.conv1.weight"]);
        assert!(blocks_hint(&deeper, &ours).ends_with("(model.blocks = [2])"));
        let mlp = ["net.0.weight".to_string()];
        assert!(blocks_hint(&deeper, &mlp).contains("model.kind = \"resnet\", model.blocks"));
        let bottleneck = file(&["layer1.0.conv3.weight", "layer1.1.conv3.weight"]);
        assert!(blocks_hint(&bottleneck, &ours).contains("Bottleneck"));
        assert_eq!(blocks_hint(&file(&["layer1.0.conv1.weight"]), &ours), "");
    }
}
