//! libtorch's fused Adam kernel (`torch.optim.Adam(fused=True)`, `at::_fused_adam_`), reached
//! through the small C++ shim in `csrc/fused_adam.cpp` because tch 0.24 does not expose it.
//!
//! This is the crate's only `unsafe` code: one foreign call. It is sound because every pointer
//! passed is a live `at::Tensor*` owned by a `tch::Tensor` that outlives the call (tch's
//! handles are exactly that type), the lists all have length `n`, the error buffer is ours with
//! its true length, and the shim catches every C++ exception before returning.

use std::ffi::{c_char, c_int, c_void, CStr};

use tch::{TchError, Tensor};

/// A tensor handle as the shim sees it: tch's `C_tensor` pointer, an `at::Tensor*` in C++.
type Handle = *const c_void;

#[allow(unsafe_code)]
extern "C" {
    fn twin_nets_fused_adam(
        params: *const Handle,
        grads: *const Handle,
        exp_avgs: *const Handle,
        exp_avg_sqs: *const Handle,
        steps: *const Handle,
        n: usize,
        lr: f64,
        beta1: f64,
        beta2: f64,
        weight_decay: f64,
        eps: f64,
        err: *mut c_char,
        err_len: usize,
    ) -> c_int;
}

/// Hyperparameters of one fused Adam step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamHyper {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub weight_decay: f64,
    pub eps: f64,
}

/// One Adam step on `params` in place, with their gradients and moments (lists of the same
/// length, each entry the same shape, kind and device), and `steps`, the step counts already
/// advanced to this step (0-dim `Float` tensors on the parameters' device).
///
/// # Shapes
/// `params[i]`, `grads[i]`, `exp_avgs[i]`, `exp_avg_sqs[i]`: one shape each; `steps[i]`: `[]`.
pub(crate) fn fused_adam(
    params: &[&Tensor],
    grads: &[&Tensor],
    exp_avgs: &[&Tensor],
    exp_avg_sqs: &[&Tensor],
    steps: &[&Tensor],
    h: AdamHyper,
) -> Result<(), TchError> {
    let n = params.len();
    if [grads.len(), exp_avgs.len(), exp_avg_sqs.len(), steps.len()] != [n; 4] {
        return Err(TchError::Shape(format!(
            "fused Adam: {n} parameters but {} gradients, {} exp_avg, {} exp_avg_sq, {} steps",
            grads.len(),
            exp_avgs.len(),
            exp_avg_sqs.len(),
            steps.len()
        )));
    }
    let handles = |ts: &[&Tensor]| {
        ts.iter()
            .map(|t| t.as_ptr().cast::<c_void>())
            .collect::<Vec<_>>()
    };
    let (p, g, m, v, s) = (
        handles(params),
        handles(grads),
        handles(exp_avgs),
        handles(exp_avg_sqs),
        handles(steps),
    );
    let mut err = [0 as c_char; 512];
    // SAFETY: see the module header: live handles, equal lengths, our own error buffer.
    #[allow(unsafe_code)]
    let status = unsafe {
        twin_nets_fused_adam(
            p.as_ptr(),
            g.as_ptr(),
            m.as_ptr(),
            v.as_ptr(),
            s.as_ptr(),
            n,
            h.lr,
            h.beta1,
            h.beta2,
            h.weight_decay,
            h.eps,
            err.as_mut_ptr(),
            err.len(),
        )
    };
    if status == 0 {
        return Ok(());
    }
    // SAFETY: the shim always NUL-terminates `err` within its length.
    #[allow(unsafe_code)]
    let msg = unsafe { CStr::from_ptr(err.as_ptr()) };
    Err(TchError::Torch(format!(
        "at::_fused_adam_: {}",
        msg.to_string_lossy()
    )))
}
