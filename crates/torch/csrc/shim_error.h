// How the C++ shims report a failure to Rust: exceptions never cross the `extern "C"` boundary
// (unwinding into Rust is undefined behaviour); `guarded` runs a shim's body and turns any
// exception into a non-zero return and its message in the caller's buffer.
#pragma once

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstring>
#include <exception>

namespace twin_nets {

// Copies `msg` into `err` (`err_len` bytes, NUL-terminated, truncated if need be).
inline void write_error(char *err, size_t err_len, const char *msg) {
  if (err == nullptr || err_len == 0) return;
  std::strncpy(err, msg, err_len - 1);
  err[err_len - 1] = '\0';
}

// Runs `body`; returns 0, or 1 with the exception's message in `err` (libtorch's own errors
// without their C++ stack trace; `what` names the shim in the message of an unknown one).
template <typename Body>
int guarded(char *err, size_t err_len, const char *what, Body body) {
  try {
    body();
    return 0;
  } catch (const c10::Error &e) {
    write_error(err, err_len, e.what_without_backtrace());
  } catch (const std::exception &e) {
    write_error(err, err_len, e.what());
  } catch (...) {
    const char *prefix = "unknown C++ exception in ";
    char buf[256];
    std::strncpy(buf, prefix, sizeof buf - 1);
    std::strncat(buf, what, sizeof buf - std::strlen(buf) - 1);
    write_error(err, err_len, buf);
  }
  return 1;
}

}  // namespace twin_nets
