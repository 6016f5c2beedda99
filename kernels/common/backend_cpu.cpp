// Device queries for builds without the CUDA backend.
#include "kernels/common/backend.h"

#ifndef MUSTFM_WITH_CUDA
namespace mustfm {

bool cuda_compiled() {
  return false;
}
int cuda_device_count() {
  return 0;
}
std::string cuda_device_summary() {
  return "CUDA backend not compiled in this build";
}

}  // namespace mustfm
#endif
