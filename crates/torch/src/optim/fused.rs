//! libtorch's fused Adam kernel (`torch.optim.Adam(fused=True)`, `at::_fused_adam_`), reached
//! through the small C++ shim in `csrc/fused_adam.cpp` because tch 0.24 does not expose it.
//!
//! This module's `unsafe` code is one foreign call (the crate's other one, in `loaded`, asks
//! libtorch for its configuration string). It is sound because every pointer
//! passed is a live `at::Tensor*` owned by a `tch::Tensor` that outlives the call (tch's
//! handles are exactly that type), the lists all have length `n`, every tensor is checked
//! contiguous and of its parameter's size, kind and device first (the kernel checks none of
//! that and would read past a shorter buffer), the error buffer is ours with its true length,
//! and the shim catches every C++ exception before returning.

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
/// advanced to this step (0-dim `Float` tensors on the parameters' device). Every tensor must
/// be contiguous (the kernel ignores strides).
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
    // The kernel walks each tensor's memory linearly over the parameter's length and checks
    // neither strides nor sizes: a strided view would be updated wrongly and a shorter buffer
    // read out of bounds. So every list entry must be contiguous and match its parameter.
    for (what, list) in [
        ("parameter", params),
        ("gradient", grads),
        ("exp_avg", exp_avgs),
        ("exp_avg_sq", exp_avg_sqs),
    ] {
        for (i, (t, p)) in list.iter().zip(params).enumerate() {
            if !t.is_contiguous() {
                return Err(TchError::Shape(format!(
                    "fused Adam: {what} {i} is not contiguous"
                )));
            }
            if t.size() != p.size() || t.kind() != p.kind() || t.device() != p.device() {
                return Err(TchError::Shape(format!(
                    "fused Adam: {what} {i} is {:?} {:?} on {:?}, its parameter {:?} {:?} on {:?}",
                    t.size(),
                    t.kind(),
                    t.device(),
                    p.size(),
                    p.kind(),
                    p.device()
                )));
            }
        }
    }
    for (i, (s, p)) in steps.iter().zip(params).enumerate() {
        if s.dim() != 0 || s.kind() != tch::Kind::Float || s.device() != p.device() {
            return Err(TchError::Shape(format!(
                "fused Adam: step {i} must be a 0-dim Float tensor on {:?}",
                p.device()
            )));
        }
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

#[cfg(test)]
mod tests {
    use tch::{Device, Kind, Tensor};

    use super::{fused_adam, AdamHyper};

    const HYPER: AdamHyper = AdamHyper {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        weight_decay: 0.0,
        eps: 1e-8,
    };

    #[test]
    fn a_strided_tensor_is_refused_not_updated_wrongly() {
        let opts = (Kind::Float, Device::Cpu);
        let p = Tensor::ones([4, 3], opts);
        let g = Tensor::ones([3, 4], opts);
        let (m, v) = (Tensor::zeros([3, 4], opts), Tensor::zeros([3, 4], opts));
        let step = Tensor::ones([], opts);
        let pt = p.tr();
        let err = fused_adam(&[&pt], &[&g], &[&m], &[&v], &[&step], HYPER).unwrap_err();
        assert!(
            err.to_string().contains("parameter 0 is not contiguous"),
            "{err}"
        );
        assert_eq!(
            p.sum(Kind::Double).double_value(&[]),
            12.0,
            "left untouched"
        );
    }

    #[test]
    fn a_buffer_that_does_not_match_its_parameter_is_refused() {
        // libtorch would read a shorter gradient out of bounds: our check stops it first.
        let opts = (Kind::Float, Device::Cpu);
        let p = Tensor::ones([5], opts);
        let g = Tensor::ones([4], opts);
        let (m, v) = (Tensor::zeros([5], opts), Tensor::zeros([5], opts));
        let step = Tensor::ones([], opts);
        let err = fused_adam(&[&p], &[&g], &[&m], &[&v], &[&step], HYPER).unwrap_err();
        assert!(err.to_string().contains("gradient 0 is [4]"), "{err}");
        let m64 = Tensor::zeros([5], (Kind::Double, Device::Cpu));
        let err = fused_adam(&[&p], &[&p], &[&m64], &[&v], &[&step], HYPER).unwrap_err();
        assert!(err.to_string().contains("exp_avg 0 is [5] Double"), "{err}");
    }

    #[test]
    fn libtorch_errors_come_back_as_errors() {
        // Integer parameters: libtorch's kernel refuses the dtype, in C++; the shim catches it.
        let opts = (Kind::Int64, Device::Cpu);
        let p = Tensor::ones([4], opts);
        let step = Tensor::ones([], (Kind::Float, Device::Cpu));
        let err = fused_adam(&[&p], &[&p], &[&p], &[&p], &[&step], HYPER).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("at::_fused_adam_: "), "{msg}");
        assert!(msg.contains("not implemented for 'Long'"), "{msg}");
        assert!(!msg.contains("frame #"), "no C++ stack trace: {msg}");
    }

    #[test]
    fn lists_of_different_lengths_are_refused() {
        let p = Tensor::ones([4], (Kind::Float, Device::Cpu));
        let err = fused_adam(&[&p], &[], &[&p], &[&p], &[&p], HYPER).unwrap_err();
        assert!(
            err.to_string().contains("1 parameters but 0 gradients"),
            "{err}"
        );
    }
}
