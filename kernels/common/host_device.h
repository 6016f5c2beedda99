// Marks functions that compile for both the host and the device, so formulas shared by the CPU
// and CUDA backends are written once and the CPU tests exercise the arithmetic the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define MUSTFM_HD __host__ __device__ __forceinline__
#else
#define MUSTFM_HD inline
#endif
