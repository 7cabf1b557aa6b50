//! Route 2's limit in `compare bench`: the chapter's MLP training loop written in C++ against
//! the libtorch this crate links (`csrc/bench_loop.cpp`), in two forms: the C++ frontend used
//! plainly (`nn::Sequential`, `optim::Adam`), and with the torch route's own techniques (one
//! flat parameter tensor, transposed weight leaves, one flat gradient buffer, one fused Adam
//! call). What the torch route pays above the faster of the two is the cost of the Rust side
//! and of tch, not of libtorch.
//!
//! This module's one `unsafe` block calls the C++ function; it is sound because every pointer
//! passed is to a live Rust allocation of the length passed with it (`x`: `rows · features`
//! f32, `y`: `rows` i64, `hidden`: `n_hidden` i64, `channels`: `n_channels` i64), the C++ side copies them before returning
//! and writes only into `samples_per_s` and the error buffer (ours, with its true length), and
//! it catches every C++ exception.

use std::ffi::{c_char, c_int, CStr};

use common::{Error, Result};
use ndarray::ArrayView2;

#[allow(unsafe_code)]
extern "C" {
    fn twin_nets_cpp_loop(
        x: *const f32,
        y: *const i64,
        rows: i64,
        features: i64,
        hidden: *const i64,
        n_hidden: usize,
        classes: i64,
        channels: *const i64,
        n_channels: usize,
        side: i64,
        dropout: f64,
        epochs: i64,
        batch: i64,
        lr: f64,
        weight_decay: f64,
        fused_form: c_int,
        seed: u64,
        samples_per_s: *mut f64,
        err: *mut c_char,
        err_len: usize,
    ) -> c_int;
}

/// Which form of the C++ loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CppForm {
    /// `nn::Sequential` + `optim::Adam`, as the C++ frontend's documentation writes it.
    Plain,
    /// The torch route's techniques: flat parameters and gradients, fused Adam.
    Fused,
}

/// What the C++ loop trains: an MLP with ReLU and a softmax head, or the final project's CNN
/// (`model.kind = "cnn"`'s layers) in front of it, with Adam (β 0.9, 0.999, ε 1e-8) at `lr`.
#[derive(Debug, Clone, Default)]
pub struct CppLoop {
    /// Hidden Linear widths.
    pub hidden: Vec<usize>,
    /// Classes (≥ 2: the softmax head).
    pub classes: usize,
    /// CNN: the channels of each 3×3 convolution block (empty for an MLP).
    pub channels: Vec<usize>,
    /// CNN: the side of the square input images (0 for an MLP).
    pub side: usize,
    /// Dropout after each hidden ReLU of the MLP part.
    pub dropout: f64,
    /// Adam's L2 weight decay.
    pub weight_decay: f64,
    /// Epochs timed.
    pub epochs: usize,
    /// Batch size.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// libtorch's seed for the initial weights and the epochs' orders.
    pub seed: u64,
}

impl CppLoop {
    /// Trains on `x` with labels `y` in `form`; returns training samples per second of the
    /// epochs (only they are timed), or the C++ side's error.
    ///
    /// # Shapes
    /// `x`: `[rows, features]`, `y`: `[rows]`.
    pub fn samples_per_s(&self, x: ArrayView2<'_, f32>, y: &[usize], form: CppForm) -> Result<f64> {
        let x = x.as_standard_layout();
        let data = x.as_slice().expect("standard layout is contiguous");
        let y: Vec<i64> = y.iter().map(|&c| c as i64).collect();
        if y.len() != x.nrows() {
            return Err(Error::Shape(format!(
                "{} labels for {} rows",
                y.len(),
                x.nrows()
            )));
        }
        let hidden: Vec<i64> = self.hidden.iter().map(|&h| h as i64).collect();
        let channels: Vec<i64> = self.channels.iter().map(|&c| c as i64).collect();
        let mut rate = 0.0f64;
        let mut err = vec![0u8; 1024];
        // The loop seeds libtorch's global generators and draws from them (initial weights,
        // epoch orders, dropout masks): hold them, as every other user in this process does
        // (`device::with_seed`), or a test drawing at the same time gets other numbers.
        // SAFETY: see the module documentation: every pointer is to a live allocation of the
        // length passed beside it, and the C++ side writes only `rate` and `err`.
        #[allow(unsafe_code)]
        let status = crate::device::with_seed(self.seed, || unsafe {
            twin_nets_cpp_loop(
                data.as_ptr(),
                y.as_ptr(),
                x.nrows() as i64,
                x.ncols() as i64,
                hidden.as_ptr(),
                hidden.len(),
                self.classes as i64,
                channels.as_ptr(),
                channels.len(),
                self.side as i64,
                self.dropout,
                self.epochs as i64,
                self.batch as i64,
                self.lr,
                self.weight_decay,
                c_int::from(form == CppForm::Fused),
                self.seed,
                &mut rate,
                err.as_mut_ptr().cast(),
                err.len(),
            )
        });
        if status != 0 {
            let msg = CStr::from_bytes_until_nul(&err)
                .map(|m| m.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(Error::Other(format!("the C++ loop failed: {msg}")));
        }
        Ok(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_train_and_bad_input_is_an_error_not_a_crash() {
        let x = ndarray::Array2::from_shape_fn((300, 3), |(i, j)| {
            ((i * 7 + j * 3) % 11) as f32 / 5.5 - 1.0
        });
        let y: Vec<usize> = (0..300)
            .map(|i| usize::from(x[[i, 0]] + x[[i, 1]] > 0.0))
            .collect();
        let l = CppLoop {
            hidden: vec![8, 8],
            classes: 2,
            epochs: 2,
            batch: 32,
            lr: 1e-3,
            seed: 1,
            ..CppLoop::default()
        };
        // The CNN: 4×4 single-channel images of the same rows (16 features), dropout, decay.
        let images = ndarray::Array2::from_shape_fn((300, 16), |(i, j)| x[[i, j % 3]] * 0.5);
        let cnn = CppLoop {
            channels: vec![4],
            side: 4,
            dropout: 0.3,
            weight_decay: 1e-4,
            ..l.clone()
        };
        for form in [CppForm::Plain, CppForm::Fused] {
            let r = l.samples_per_s(x.view(), &y, form).unwrap();
            assert!(r.is_finite() && r > 0.0, "{form:?}: {r}");
            let r = cnn.samples_per_s(images.view(), &y, form).unwrap();
            assert!(r.is_finite() && r > 0.0, "CNN {form:?}: {r}");
        }
        // A label outside the classes: libtorch's own error, as a Result.
        let mut bad = y.clone();
        bad[0] = 7;
        let e = l
            .samples_per_s(x.view(), &bad, CppForm::Plain)
            .unwrap_err()
            .to_string();
        assert!(e.contains("C++ loop"), "{e}");
    }
}
