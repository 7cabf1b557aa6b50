//! Containers: `Sequential` (`nn.Sequential`, a ResNet stage) and `Residual` (torchvision's
//! `BasicBlock`): layers too, so that a ResNet is a list of layers like the chapter's MLP.
//!
//! ```text
//! forward(X):   skip = X;  Y = act(body(X) + shortcut(skip))
//! backward(dY): dS = act'(dY);  dX = body.backward(dS) + shortcut.backward(dS)
//! ```
//!
//! The sum sends the same gradient `dS` down both branches, and the block's input gradient
//! is the sum of the two branches' (the identity shortcut passes `dS` on unchanged).

use ndarray::ArrayView2;

use super::layer::{BufferMut, BufferRef, Layer, Mode, Param, ParamMut};
use super::Activation;
use crate::float::Float;
use crate::ops::Buf;

/// Layers applied in order (`nn.Sequential`).
#[derive(Debug)]
pub struct Sequential<F: Float> {
    layers: Vec<Box<dyn Layer<F>>>,
}

impl<F: Float> Sequential<F> {
    /// The container of `layers`.
    pub fn new(layers: Vec<Box<dyn Layer<F>>>) -> Self {
        Sequential { layers }
    }
    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<F>>] {
        &self.layers
    }
}

impl<F: Float> Layer<F> for Sequential<F> {
    /// Each layer's output is the next one's input.
    fn forward(&mut self, x: Buf<F>, mut mode: Mode<'_>) -> Buf<F> {
        self.layers
            .iter_mut()
            .fold(x, |h, layer| layer.forward(h, mode.reborrow()))
    }
    /// The layers last first; the first one computes `dX` only when `need_dx`.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        let mut grad = dy;
        for (i, layer) in self.layers.iter_mut().enumerate().rev() {
            grad = layer.backward(grad, i > 0 || need_dx)?;
        }
        Some(grad)
    }
    fn params(&self) -> Vec<Param<'_, F>> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        self.layers.iter_mut().for_each(|l| l.visit_params_mut(f));
    }
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        self.layers.iter().flat_map(|l| l.param_shapes()).collect()
    }
    fn set_frozen(&mut self, frozen: &[bool]) {
        let mut rest = frozen;
        for layer in &mut self.layers {
            let (mine, tail) = rest.split_at(layer.param_shapes().len().min(rest.len()));
            layer.set_frozen(mine);
            rest = tail;
        }
    }
    fn buffers(&self) -> Vec<BufferRef<'_, F>> {
        self.layers.iter().flat_map(|l| l.buffers()).collect()
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(BufferMut<'_, F>)) {
        self.layers.iter_mut().for_each(|l| l.visit_buffers_mut(f));
    }
}

/// A residual block: `act(body(x) + shortcut(x))`, the shortcut being `downsample` or the
/// identity.
#[derive(Debug)]
pub struct Residual<F: Float> {
    body: Sequential<F>,
    downsample: Option<Sequential<F>>,
    act: Activation<F>,
    /// The block's input, kept for the shortcut (then the shortcut's output).
    skip: Buf<F>,
    /// `dS`: the gradient of the sum, sent down both branches.
    dsum: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> Residual<F> {
    /// The block of `body`, an optional projection `downsample` and the activation `act`.
    pub fn new(body: Sequential<F>, downsample: Option<Sequential<F>>, act: Activation<F>) -> Self {
        Residual {
            body,
            downsample,
            act,
            skip: Buf::new(),
            dsum: Buf::new(),
            dx: Buf::new(),
        }
    }
    fn parts(&self) -> impl Iterator<Item = &Sequential<F>> {
        std::iter::once(&self.body).chain(&self.downsample)
    }
    fn parts_mut(&mut self) -> impl Iterator<Item = &mut Sequential<F>> {
        std::iter::once(&mut self.body).chain(&mut self.downsample)
    }
}

impl<F: Float> Layer<F> for Residual<F> {
    /// `skip = X`; `Y = act(body(X) + shortcut(skip))`.
    fn forward(&mut self, x: Buf<F>, mut mode: Mode<'_>) -> Buf<F> {
        let mut skip = std::mem::take(&mut self.skip);
        skip.resize(x.rows(), x.cols());
        skip.as_mut_slice().copy_from_slice(x.as_slice());
        let mut sum = self.body.forward(x, mode.reborrow());
        let skip = match &mut self.downsample {
            Some(d) => d.forward(skip, mode.reborrow()),
            None => skip,
        };
        sum.as_mut_slice()
            .iter_mut()
            .zip(skip.as_slice())
            .for_each(|(s, &v)| *s += v);
        self.skip = skip;
        self.act.forward(sum, mode)
    }

    /// `dS = act'(dY)`; `dX = body.backward(dS) + shortcut.backward(dS)`.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        let Residual {
            body,
            downsample,
            act,
            dsum,
            dx,
            ..
        } = self;
        let ds = act.backward(dy, true).expect("need_dx gives dX");
        dsum.resize(ds.nrows(), ds.ncols());
        crate::ops::map_into(dsum.as_mut_slice(), ds, |v| v);
        let from_body = body.backward(dsum.view(), need_dx);
        if let Some(g) = from_body {
            dx.resize(g.nrows(), g.ncols());
            crate::ops::map_into(dx.as_mut_slice(), g, |v| v);
        }
        let from_shortcut = match downsample {
            Some(d) => d.backward(dsum.view(), need_dx),
            None => need_dx.then(|| dsum.view()),
        };
        let g = from_shortcut?;
        dx.as_mut_slice()
            .iter_mut()
            .zip(g.iter())
            .for_each(|(o, &v)| *o += v);
        Some(dx.view())
    }
    fn params(&self) -> Vec<Param<'_, F>> {
        self.parts().flat_map(|p| p.params()).collect()
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        self.parts_mut().for_each(|p| p.visit_params_mut(f));
    }
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        self.parts().flat_map(|p| p.param_shapes()).collect()
    }
    fn set_frozen(&mut self, frozen: &[bool]) {
        let n = self.body.param_shapes().len().min(frozen.len());
        self.body.set_frozen(&frozen[..n]);
        if let Some(d) = &mut self.downsample {
            d.set_frozen(&frozen[n..]);
        }
    }
    fn buffers(&self) -> Vec<BufferRef<'_, F>> {
        self.parts().flat_map(|p| p.buffers()).collect()
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(BufferMut<'_, F>)) {
        self.parts_mut().for_each(|p| p.visit_buffers_mut(f));
    }
}
