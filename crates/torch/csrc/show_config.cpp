// `at::show_config()` for Rust: the configuration string the loaded libtorch reports about
// itself (what `torch.__config__.show()` prints in Python), with its `TORCH_VERSION=` and
// `COMMIT_SHA=` build settings. tch 0.24 does not expose it; `torch doctor` and the tests use
// it to ask the library actually loaded, not the files the build script saw.
//
// Called from Rust (`src/loaded.rs`). Exceptions never cross into Rust: they give 0.

#include <ATen/Version.h>

#include <cstddef>
#include <cstring>
#include <exception>
#include <string>

// Copies at most `len - 1` bytes of `at::show_config()` into `buf` and a terminating NUL
// (nothing when `buf` is null or `len` is 0). Returns the full length of the string, so that
// a caller whose buffer was too small can call again with `return value + 1` bytes; 0 when
// libtorch threw.
extern "C" size_t twin_nets_show_config(char *buf, size_t len) {
  try {
    const std::string text = at::show_config();
    if (buf != nullptr && len > 0) {
      const size_t n = text.size() < len - 1 ? text.size() : len - 1;
      std::memcpy(buf, text.data(), n);
      buf[n] = '\0';
    }
    return text.size();
  } catch (...) {
    return 0;
  }
}
