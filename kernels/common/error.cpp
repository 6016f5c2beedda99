#include "kernels/common/error.h"

#include <cstdio>
#include <cstdlib>

namespace mustfm::detail {

void assertion_failed(const char* condition,
                      const char* file,
                      int line,
                      const std::string& message) {
  std::fprintf(stderr, "mustfm internal error at %s:%d: %s (%s)\n", file, line, message.c_str(),
               condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace mustfm::detail
