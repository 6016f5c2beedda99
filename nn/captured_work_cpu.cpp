// CapturedWork for builds without the CUDA backend: there is nothing to capture.
#include "kernels/common/error.h"
#include "nn/captured_work.h"

#ifndef MUSTFM_WITH_CUDA
namespace mustfm {

CapturedWork::CapturedWork(const Exec&, const std::function<void()>&) {
  throw InputError("CUDA graph capture was requested, but this build has no CUDA");
}

CapturedWork::~CapturedWork() = default;

void CapturedWork::replay() const {}

}  // namespace mustfm
#endif
