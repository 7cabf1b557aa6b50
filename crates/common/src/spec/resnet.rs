//! torchvision's ResNet with `BasicBlock`s as a module tree (`torchvision.models.resnet`):
//!
//! ```text
//! conv1 → bn1 → relu → maxpool → layer1 … layerL → avgpool → fc
//! layerS.B = BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
//! shortcut = downsample (1×1 conv with the block's stride → BatchNorm) where the block
//!            changes the size or the channels, the identity otherwise
//! ```
//!
//! Convolutions have no bias (a BatchNorm follows each); stage 1 keeps the size, every later
//! stage halves it in its first block (stride 2 on `conv1` and on the shortcut). The
//! `imagenet` stem is a 7×7 stride-2 convolution and a 3×3 stride-2 max pool; the `small` one a
//! 3×3 stride-1 convolution with no pool, for 32×32 images. Names are torchvision's, so a
//! `resnet18` `state_dict` loads as it is.

use super::{Head, LayerSpec, ModelSpec, Named};
use crate::config::{Activation, ModelConfig, Stem};
use crate::{Error, Result};

/// The ResNet of `m` (`model.blocks`, `model.widths`, `model.stem`) for `[C, H, W]` images.
pub(super) fn build(m: &ModelConfig, image: [usize; 3], head: Head) -> Result<ModelSpec> {
    check(m)?;
    let relu = || LayerSpec::Act {
        act: Activation::Relu,
    };
    let width = m.widths[0];
    let (k, stride, pad) = match m.stem {
        Stem::Imagenet => (7, 2, 3),
        Stem::Small => (3, 1, 1),
    };
    let mut top: Vec<Named> = vec![
        ("conv1".into(), conv(image[0], width, k, stride, pad)),
        ("bn1".into(), LayerSpec::BatchNorm { features: width }),
        ("relu".into(), relu()),
    ];
    if m.stem == Stem::Imagenet {
        let pool = LayerSpec::MaxPool2d {
            k: 3,
            stride: Some(2),
            padding: 1,
        };
        top.push(("maxpool".into(), pool));
    }
    let mut inplanes = width;
    for (s, (&blocks, &planes)) in m.blocks.iter().zip(&m.widths).enumerate() {
        let stride = if s == 0 { 1 } else { 2 };
        let layers = (0..blocks)
            .map(|b| {
                let block = basic_block(inplanes, planes, if b == 0 { stride } else { 1 });
                inplanes = planes;
                (b.to_string(), block)
            })
            .collect();
        top.push((format!("layer{}", s + 1), LayerSpec::Sequential { layers }));
    }
    top.push(("avgpool".into(), LayerSpec::GlobalAvgPool));
    let outputs = match head {
        Head::Bce => 1,
        Head::Softmax { classes } => classes,
    };
    let fc = LayerSpec::Linear {
        inputs: inplanes,
        outputs,
    };
    top.push(("fc".into(), fc));
    let (names, layers) = top.into_iter().unzip();
    Ok(ModelSpec {
        input_shape: image.to_vec(),
        layers,
        names,
        head,
        freeze: Vec::new(),
    })
}

/// A bias-free convolution (every convolution of a ResNet is followed by a BatchNorm).
fn conv(in_ch: usize, out_ch: usize, kernel: usize, stride: usize, padding: usize) -> LayerSpec {
    LayerSpec::Conv2d {
        in_ch,
        out_ch,
        kernel,
        padding,
        stride,
        bias: false,
    }
}

/// torchvision's `BasicBlock(inplanes, planes, stride, downsample)`.
fn basic_block(inplanes: usize, planes: usize, stride: usize) -> LayerSpec {
    let bn = |features| LayerSpec::BatchNorm { features };
    let body = vec![
        ("conv1".into(), conv(inplanes, planes, 3, stride, 1)),
        ("bn1".into(), bn(planes)),
        (
            "relu".into(),
            LayerSpec::Act {
                act: Activation::Relu,
            },
        ),
        ("conv2".into(), conv(planes, planes, 3, 1, 1)),
        ("bn2".into(), bn(planes)),
    ];
    let downsample = if stride != 1 || inplanes != planes {
        vec![
            ("0".into(), conv(inplanes, planes, 1, stride, 0)),
            ("1".into(), bn(planes)),
        ]
    } else {
        Vec::new()
    };
    LayerSpec::Residual {
        body,
        downsample,
        act: Activation::Relu,
    }
}

/// `model.blocks` and `model.widths`: one entry per stage, each ≥ 1, the same length.
fn check(m: &ModelConfig) -> Result<()> {
    if m.blocks.is_empty() || m.blocks.contains(&0) {
        let msg = format!(
            "{:?}: every stage needs at least one block (ResNet-18 is [2, 2, 2, 2])",
            m.blocks
        );
        return Err(Error::config("model.blocks", msg));
    }
    if m.widths.len() != m.blocks.len() || m.widths.contains(&0) {
        let msg = format!(
            "{:?}: one channel count ≥ 1 per stage of model.blocks {:?} (ResNet-18: [64, 128, 256, 512])",
            m.widths, m.blocks
        );
        return Err(Error::config("model.widths", msg));
    }
    Ok(())
}
