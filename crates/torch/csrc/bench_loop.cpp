// Route 2's limit for `compare bench`: the chapter's training loop written against libtorch's
// C++ API, compiled against the same libtorch as the torch route, so that the bench can show
// what libtorch itself costs per step without any binding in between. Two forms:
//
// - plain: the C++ frontend as its documentation writes it: `nn::Sequential` of `nn::Linear`
//   and `nn::ReLU`, `optim::Adam`, `zero_grad`, `forward`, `cross_entropy`, `backward`, `step`,
//   over `narrow` views of the epoch's rows gathered once;
// - fused: the techniques the torch route uses: the parameters live in one flat tensor, the
//   Linear weights are differentiated as transposed leaves over it (`addmm(b, h, Wt)`, no
//   transpose node), `autograd::grad` returns the gradients, which are copied into one flat
//   buffer, and one `_fused_adam_` call updates the flat parameters.
//
// Both train an MLP (ReLU, softmax cross-entropy, Adam with PyTorch's defaults) on the rows
// they are given, reshuffled each epoch with libtorch's generator, keep each step's loss and
// correct count on the device and read them back once per epoch (as the torch route does),
// and time only the epochs. Exceptions never cross into Rust: they become a non-zero return
// and a message in `err`.

#include <torch/torch.h>
#include <ATen/ops/_fused_adam.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

torch::nn::Sequential mlp(int64_t features, const int64_t *hidden, size_t n_hidden,
                          int64_t classes) {
  torch::nn::Sequential net;
  int64_t width = features;
  for (size_t i = 0; i < n_hidden; ++i) {
    net->push_back(torch::nn::Linear(width, hidden[i]));
    net->push_back(torch::nn::ReLU());
    width = hidden[i];
  }
  net->push_back(torch::nn::Linear(width, classes));
  return net;
}

// What the epoch leaves on the device, read back once.
struct EpochTensors {
  std::vector<at::Tensor> losses;
  std::vector<at::Tensor> correct;
  void keep(const at::Tensor &loss, const at::Tensor &logits, const at::Tensor &y) {
    losses.push_back(loss.detach());
    correct.push_back(logits.detach().argmax(1).eq(y).sum());
  }
  void finish() {
    // One host sync per epoch; the values are not needed, only paid for.
    volatile double total = at::stack(losses).sum().item<double>();
    volatile int64_t hits = at::stack(correct).sum().item<int64_t>();
    (void)total;
    (void)hits;
  }
};

// The plain loop over `epochs`; returns the seconds spent in them.
double plain(torch::nn::Sequential net, const at::Tensor &x, const at::Tensor &y,
             int64_t epochs, int64_t batch, double lr) {
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(lr));
  const int64_t n = x.size(0);
  double seconds = 0.0;
  for (int64_t e = 0; e < epochs; ++e) {
    const auto start = Clock::now();
    const auto order = torch::randperm(n, torch::kLong);
    const auto xe = x.index_select(0, order);
    const auto ye = y.index_select(0, order);
    EpochTensors kept;
    for (int64_t s = 0; s < n; s += batch) {
      const int64_t m = std::min(batch, n - s);
      const auto xb = xe.narrow(0, s, m);
      const auto yb = ye.narrow(0, s, m);
      opt.zero_grad();
      const auto logits = net->forward(xb);
      const auto loss = torch::nn::functional::cross_entropy(logits, yb);
      loss.backward();
      opt.step();
      kept.keep(loss, logits, yb);
    }
    kept.finish();
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  return seconds;
}

// The fused loop over `epochs` (see the file's header); returns the seconds spent in them.
double fused(torch::nn::Sequential net, const at::Tensor &x, const at::Tensor &y,
             int64_t epochs, int64_t batch, double lr) {
  const auto source = net->parameters();  // weight, bias, weight, bias, ...
  int64_t total = 0;
  for (const auto &p : source) total += p.numel();
  const auto flat = at::empty({total}, x.options());
  const auto grad = at::zeros_like(flat);
  const auto exp_avg = at::zeros_like(flat);
  const auto exp_avg_sq = at::zeros_like(flat);
  const auto step = at::zeros({}, x.options().dtype(at::kFloat));
  std::vector<at::Tensor> leaves, grad_views;
  int64_t offset = 0;
  {
    at::NoGradGuard no_grad;
    for (const auto &p : source) {
      const int64_t k = p.numel();
      // A weight [out, in] is kept as its transpose [in, out], contiguous: addmm's layout.
      const auto shape = p.dim() == 2 ? std::vector<int64_t>{p.size(1), p.size(0)}
                                      : std::vector<int64_t>{p.size(0)};
      auto view = flat.narrow(0, offset, k).view(shape);
      view.copy_(p.dim() == 2 ? p.t() : p);
      leaves.push_back(view.requires_grad_(true));
      grad_views.push_back(grad.narrow(0, offset, k).view(shape));
      offset += k;
    }
  }
  const int64_t n = x.size(0);
  const size_t layers = leaves.size() / 2;
  double seconds = 0.0;
  for (int64_t e = 0; e < epochs; ++e) {
    const auto start = Clock::now();
    const auto order = torch::randperm(n, torch::kLong);
    const auto xe = x.index_select(0, order);
    const auto ye = y.index_select(0, order);
    EpochTensors kept;
    for (int64_t s = 0; s < n; s += batch) {
      const int64_t m = std::min(batch, n - s);
      const auto yb = ye.narrow(0, s, m);
      auto h = xe.narrow(0, s, m);
      for (size_t l = 0; l < layers; ++l) {
        h = at::addmm(leaves[2 * l + 1], h, leaves[2 * l]);
        if (l + 1 < layers) h = at::relu(h);
      }
      const auto loss = at::cross_entropy_loss(h, yb);
      const auto grads = torch::autograd::grad({loss}, leaves);
      {
        at::NoGradGuard no_grad;
        for (size_t i = 0; i < grads.size(); ++i) grad_views[i].copy_(grads[i]);
        step.add_(1);
        at::_fused_adam_({flat}, {grad}, {exp_avg}, {exp_avg_sq}, {}, {step}, lr, 0.9, 0.999,
                         0.0, 1e-8, /*amsgrad=*/false, /*maximize=*/false);
      }
      kept.keep(loss, h, yb);
    }
    kept.finish();
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  return seconds;
}

void write_error(char *err, size_t err_len, const char *msg) {
  if (err == nullptr || err_len == 0) return;
  std::strncpy(err, msg, err_len - 1);
  err[err_len - 1] = '\0';
}

}  // namespace

// Trains the MLP `features → hidden… → classes` on the `rows` examples `x` (row-major f32)
// with labels `y` for `epochs` epochs of `batch`-sized steps, in the plain (`fused_form` = 0)
// or the fused form, from libtorch's default initialisation under `manual_seed(seed)`.
// Writes the training samples per second of the timed epochs to `samples_per_s`. Returns 0,
// or 1 with a message in `err`.
extern "C" int twin_nets_cpp_loop(const float *x, const int64_t *y, int64_t rows,
                                  int64_t features, const int64_t *hidden, size_t n_hidden,
                                  int64_t classes, int64_t epochs, int64_t batch, double lr,
                                  int fused_form, uint64_t seed, double *samples_per_s,
                                  char *err, size_t err_len) {
  try {
    if (rows < 1 || features < 1 || classes < 2 || epochs < 1 || batch < 1) {
      write_error(err, err_len, "twin_nets_cpp_loop: empty data, model or loop");
      return 1;
    }
    torch::manual_seed(seed);
    const auto xs = at::from_blob(const_cast<float *>(x), {rows, features}, at::kFloat).clone();
    const auto ys = at::from_blob(const_cast<int64_t *>(y), {rows}, at::kLong).clone();
    auto net = mlp(features, hidden, n_hidden, classes);
    const double seconds = fused_form ? fused(net, xs, ys, epochs, batch, lr)
                                      : plain(net, xs, ys, epochs, batch, lr);
    *samples_per_s = static_cast<double>(rows * epochs) / seconds;
    return 0;
  } catch (const c10::Error &e) {
    write_error(err, err_len, e.what_without_backtrace());
  } catch (const std::exception &e) {
    write_error(err, err_len, e.what());
  } catch (...) {
    write_error(err, err_len, "unknown C++ exception in twin_nets_cpp_loop");
  }
  return 1;
}
