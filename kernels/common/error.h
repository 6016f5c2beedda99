// Two kinds of failure, kept apart:
//  * InputError: the caller's mistake (bad job key, bad file, inconsistent shapes). It carries a
//    readable message naming the file, line, column, key or value. The command exits 2.
//  * RuntimeFailure: the environment failed (CUDA error, disk full). The command exits 1.
// A broken internal invariant is a bug: MUSTFM_ASSERT aborts with file:line.
#pragma once

#include <stdexcept>
#include <string>

namespace mustfm {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user asked the work to stop (Ctrl-C): what was finished is kept, nothing half-written.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] void assertion_failed(const char* condition,
                                   const char* file,
                                   int line,
                                   const std::string& message);
}  // namespace detail

}  // namespace mustfm

// Throws InputError with `message` (any expression convertible to std::string) unless `cond`.
#define MUSTFM_EXPECTS(cond, message)                              \
  do {                                                             \
    if (!(cond)) throw ::mustfm::InputError(std::string(message)); \
  } while (0)

// Aborts with file:line unless `cond`: for invariants whose failure is a bug in this library.
#define MUSTFM_ASSERT(cond, message)                                                       \
  do {                                                                                     \
    if (!(cond))                                                                           \
      ::mustfm::detail::assertion_failed(#cond, __FILE__, __LINE__, std::string(message)); \
  } while (0)
