// The one libtorch entry point that tch 0.24 does not expose and the step loop needs:
// `at::_fused_adam_`, the kernel behind `torch.optim.Adam(fused=True)` (CPU and CUDA). It updates
// parameters, first and second moments in one pass, where the composite formula takes eleven
// dispatched operations; on the chapter's small MLP that is a tenth of a training step.
//
// Called from Rust (`src/optim/fused.rs`) with tch's tensor handles, which are `at::Tensor*`.
// Exceptions never cross into Rust: they become a non-zero return and a message in `err`.

#include <ATen/core/Tensor.h>
#include <ATen/ops/_fused_adam.h>
#include <c10/util/Exception.h>

#include <cstddef>
#include <cstring>
#include <exception>
#include <vector>

namespace {

std::vector<at::Tensor> list(const at::Tensor *const *tensors, size_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(*tensors[i]);
  return out;
}

void write_error(char *err, size_t err_len, const char *msg) {
  if (err == nullptr || err_len == 0) return;
  std::strncpy(err, msg, err_len - 1);
  err[err_len - 1] = '\0';
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
  try {
    at::_fused_adam_(list(params, n), list(grads, n), list(exp_avgs, n),
                     list(exp_avg_sqs, n), {}, list(steps, n), lr, beta1, beta2,
                     weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
    return 0;
  } catch (const c10::Error &e) {
    // libtorch's own errors: the message without its C++ stack trace.
    write_error(err, err_len, e.what_without_backtrace());
  } catch (const std::exception &e) {
    write_error(err, err_len, e.what());
  } catch (...) {
    write_error(err, err_len, "unknown C++ exception in at::_fused_adam_");
  }
  return 1;
}
