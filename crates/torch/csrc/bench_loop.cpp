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
// Both train an MLP (ReLU, softmax cross-entropy, Adam), or the final project's small CNN, on the rows
// they are given, reshuffled each epoch with libtorch's generator, keep each step's loss and
// logits on the device and read them back once per epoch (as the torch route does),
// and time only the epochs. Exceptions never cross into Rust (`shim_error.h`).

#include <torch/torch.h>
#include <ATen/ops/_fused_adam.h>

#include "shim_error.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// What the loop trains: the MLP `features → hidden… → classes` (ReLU), or with `side > 0` the
// small CNN of the final project in front of it: per entry of `channels` a 3×3 convolution
// (padding 1), ReLU and 2×2 max pooling on `side`×`side` images, then the flattened features;
// `dropout` after each hidden ReLU of the MLP part.
struct Shape {
  int64_t features;
  const int64_t *hidden;
  size_t n_hidden;
  int64_t classes;
  const int64_t *channels;
  size_t n_channels;
  int64_t side;
  double dropout;
};

torch::nn::Sequential build(const Shape &s) {
  torch::nn::Sequential net;
  int64_t width = s.features;
  if (s.side > 0) {
    int64_t in = s.features / (s.side * s.side), side = s.side;
    net->push_back(torch::nn::Unflatten(torch::nn::UnflattenOptions(1, {in, side, side})));
    for (size_t i = 0; i < s.n_channels; ++i) {
      net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, s.channels[i], 3).padding(1)));
      net->push_back(torch::nn::ReLU());
      net->push_back(torch::nn::MaxPool2d(2));
      in = s.channels[i];
      side /= 2;
    }
    net->push_back(torch::nn::Flatten());
    width = in * side * side;
  }
  for (size_t i = 0; i < s.n_hidden; ++i) {
    net->push_back(torch::nn::Linear(width, s.hidden[i]));
    net->push_back(torch::nn::ReLU());
    if (s.dropout > 0) net->push_back(torch::nn::Dropout(s.dropout));
    width = s.hidden[i];
  }
  net->push_back(torch::nn::Linear(width, s.classes));
  return net;
}

// What the epoch leaves on the device, read back once: each step's loss and logits, detached
// (two views, no arithmetic), as the torch route keeps them (`train.rs`); the correct count
// comes from all the epoch's logits at once when it ends. Counting per step (argmax, eq, sum:
// three more dispatched operations a step) was the C++ loop paying more than the torch route.
struct EpochTensors {
  std::vector<at::Tensor> losses;
  std::vector<at::Tensor> logits;
  void keep(const at::Tensor &loss, const at::Tensor &step_logits) {
    losses.push_back(loss.detach());
    logits.push_back(step_logits.detach());
  }
  void finish(const at::Tensor &y) {
    // One host sync per epoch; the values are not needed, only paid for.
    volatile double total = at::stack(losses).sum().item<double>();
    volatile int64_t hits = at::cat(logits).argmax(1).eq(y).sum().item<int64_t>();
    (void)total;
    (void)hits;
  }
};

// `epochs` epochs over `x`, `y`, reshuffled each epoch, in `batch`-sized `narrow` views of
// the epoch's gathered rows; `step(xb, yb)` trains on one batch and returns its loss and
// logits. Returns the seconds spent in the epochs (the only timed part).
template <typename Step>
double timed_epochs(const at::Tensor &x, const at::Tensor &y, int64_t epochs, int64_t batch,
                    Step step) {
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
      const auto [loss, logits] = step(xe.narrow(0, s, m), ye.narrow(0, s, m));
      kept.keep(loss, logits);
    }
    kept.finish(ye);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  return seconds;
}

// The plain loop over `epochs`; returns the seconds spent in them.
double plain(torch::nn::Sequential net, const at::Tensor &x, const at::Tensor &y,
             int64_t epochs, int64_t batch, double lr, double weight_decay) {
  torch::optim::Adam opt(net->parameters(),
                         torch::optim::AdamOptions(lr).weight_decay(weight_decay));
  net->train();
  return timed_epochs(x, y, epochs, batch, [&](const at::Tensor &xb, const at::Tensor &yb) {
    opt.zero_grad();
    const auto logits = net->forward(xb);
    const auto loss = torch::nn::functional::cross_entropy(logits, yb);
    loss.backward();
    opt.step();
    return std::make_pair(loss, logits);
  });
}

// The fused loop over `epochs` (see the file's header); returns the seconds spent in them.
// The network runs as its modules would, on views of one flat parameter tensor: a Linear as
// `addmm(b, h, Wt)` on its transposed weight, a convolution as `conv2d` on its own layout.
double fused(const Shape &shape, torch::nn::Sequential net, const at::Tensor &x,
             const at::Tensor &y, int64_t epochs, int64_t batch, double lr,
             double weight_decay) {
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
      // A Linear weight [out, in] is kept as its transpose [in, out], contiguous: addmm's
      // layout. Convolution weights and biases keep theirs.
      std::vector<int64_t> dims = p.sizes().vec();
      if (p.dim() == 2) dims = {p.size(1), p.size(0)};
      auto view = flat.narrow(0, offset, k).view(dims);
      view.copy_(p.dim() == 2 ? p.t() : p);
      leaves.push_back(view.requires_grad_(true));
      grad_views.push_back(grad.narrow(0, offset, k).view(dims));
      offset += k;
    }
  }
  const size_t convs = shape.side > 0 ? shape.n_channels : 0;
  const size_t linears = leaves.size() / 2 - convs;
  const int64_t in_ch = shape.side > 0 ? shape.features / (shape.side * shape.side) : 0;
  return timed_epochs(x, y, epochs, batch, [&](const at::Tensor &xb, const at::Tensor &yb) {
    auto h = xb;
    if (convs > 0) h = h.view({xb.size(0), in_ch, shape.side, shape.side});
    for (size_t l = 0; l < convs; ++l) {
      h = at::conv2d(h, leaves[2 * l], leaves[2 * l + 1], {1, 1}, {1, 1});
      h = at::max_pool2d(at::relu(h), {2, 2});
    }
    if (convs > 0) h = h.flatten(1);
    for (size_t l = 0; l < linears; ++l) {
      const size_t w = 2 * (convs + l);
      h = at::addmm(leaves[w + 1], h, leaves[w]);
      if (l + 1 < linears) {
        h = at::relu(h);
        if (shape.dropout > 0) h = at::dropout(h, shape.dropout, /*train=*/true);
      }
    }
    const auto loss = at::cross_entropy_loss(h, yb);
    const auto grads = torch::autograd::grad({loss}, leaves);
    {
      at::NoGradGuard no_grad;
      for (size_t i = 0; i < grads.size(); ++i) grad_views[i].copy_(grads[i]);
      step.add_(1);
      at::_fused_adam_({flat}, {grad}, {exp_avg}, {exp_avg_sq}, {}, {step}, lr, 0.9, 0.999,
                       weight_decay, 1e-8, /*amsgrad=*/false, /*maximize=*/false);
    }
    return std::make_pair(loss, h);
  });
}

}  // namespace

// Trains the network of `Shape` (see `build`) on the `rows` examples `x` (row-major f32) with
// labels `y` for `epochs` epochs of `batch`-sized steps, Adam at `lr` with L2 `weight_decay`,
// in the plain (`fused_form` = 0) or the fused form, from libtorch's default initialisation
// under `manual_seed(seed)`. Writes the training samples per second of the timed epochs to
// `samples_per_s`. Returns 0, or 1 with a message in `err`.
extern "C" int twin_nets_cpp_loop(const float *x, const int64_t *y, int64_t rows,
                                  int64_t features, const int64_t *hidden, size_t n_hidden,
                                  int64_t classes, const int64_t *channels, size_t n_channels,
                                  int64_t side, double dropout, int64_t epochs, int64_t batch,
                                  double lr, double weight_decay, int fused_form,
                                  uint64_t seed, double *samples_per_s, char *err,
                                  size_t err_len) {
  return twin_nets::guarded(err, err_len, "twin_nets_cpp_loop", [&] {
    const bool image_ok = side == 0 || (side > 0 && features % (side * side) == 0);
    if (rows < 1 || features < 1 || classes < 2 || epochs < 1 || batch < 1 || !image_ok) {
      throw std::invalid_argument("twin_nets_cpp_loop: empty data, model or loop");
    }
    torch::manual_seed(seed);
    const auto xs = at::from_blob(const_cast<float *>(x), {rows, features}, at::kFloat).clone();
    const auto ys = at::from_blob(const_cast<int64_t *>(y), {rows}, at::kLong).clone();
    const Shape shape{features, hidden, n_hidden, classes, channels, n_channels, side, dropout};
    auto net = build(shape);
    const double seconds =
        fused_form ? fused(shape, net, xs, ys, epochs, batch, lr, weight_decay)
                   : plain(net, xs, ys, epochs, batch, lr, weight_decay);
    *samples_per_s = static_cast<double>(rows * epochs) / seconds;
  });
}
