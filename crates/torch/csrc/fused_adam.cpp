// The one libtorch entry point that tch 0.24 does not expose and the step loop needs:
// `at::_fused_adam_`, the kernel behind `torch.optim.Adam(fused=True)` (CPU and CUDA). It updates
// parameters, first and second moments in one pass, where the composite formula takes eleven
// dispatched operations; on the chapter's small MLP that is a tenth of a training step.
//
// Called from Rust (`src/optim/fused.rs`) with tch's tensor handles, which are `at::Tensor*`.
// Exceptions never cross into Rust (`shim_error.h`): a non-zero return and a message in `err`.

#include <ATen/core/Tensor.h>
#include <ATen/ops/_fused_adam.h>

#include "shim_error.h"

#include <cstddef>
#include <vector>

namespace {

std::vector<at::Tensor> list(const at::Tensor *const *tensors, size_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(*tensors[i]);
  return out;
}

}  // namespace

// One Adam step (PyTorch's ORIGINAL mode: L2 weight decay added to the gradient) on `n`
// parameter tensors. `steps` are the per-parameter step counts (0-dim float32 tensors on the
// parameters' device), already advanced to the step being taken, as `torch.optim.Adam` does
// before calling the kernel. Returns 0, or 1 with a message in `err`.
extern "C" int twin_nets_fused_adam(const at::Tensor *const *params,
                                    const at::Tensor *const *grads,
                                    const at::Tensor *const *exp_avgs,
                                    const at::Tensor *const *exp_avg_sqs,
                                    const at::Tensor *const *steps, size_t n,
                                    double lr, double beta1, double beta2,
                                    double weight_decay, double eps, char *err,
                                    size_t err_len) {
  return twin_nets::guarded(err, err_len, "at::_fused_adam_", [&] {
    at::_fused_adam_(list(params, n), list(grads, n), list(exp_avgs, n),
                     list(exp_avg_sqs, n), {}, list(steps, n), lr, beta1, beta2,
                     weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
  });
}
