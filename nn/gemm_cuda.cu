// The dense layers' matrix product on cuBLAS (gemm_cuda in nn/dense_cuda.h). cuBLAS is
// column-major, and a row-major m x n matrix with leading dimension ld reads, column-major, as
// its n x m transpose with the same ld. So the row-major C = op(A) op(B) is computed as the
// column-major C^T = op(B)^T op(A)^T: the operands swap places and keep their own transpose
// flags, and m and n swap.
#include <climits>
#include <string>

#include "kernels/common/cuda_check.cuh"
#include "nn/dense_cuda.h"

namespace mustfm::detail {
namespace {

int cublas_int(std::size_t value, const char* what) {
  MUSTFM_EXPECTS(value <= static_cast<std::size_t>(INT_MAX),
                 std::string("matrix ") + what + " of " + std::to_string(value) +
                     " exceeds the cuBLAS integer range");
  return static_cast<int>(value);
}

cublasOperation_t cublas_op(bool transpose) {
  return transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
}

cublasStatus_t gemm_column_major(cublasHandle_t handle,
                                 cublasOperation_t transpose_a,
                                 cublasOperation_t transpose_b,
                                 int m,
                                 int n,
                                 int k,
                                 const float* alpha,
                                 const float* a,
                                 int lda,
                                 const float* b,
                                 int ldb,
                                 const float* beta,
                                 float* c,
                                 int ldc) {
  return cublasSgemm(handle, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                     ldc);
}

cublasStatus_t gemm_column_major(cublasHandle_t handle,
                                 cublasOperation_t transpose_a,
                                 cublasOperation_t transpose_b,
                                 int m,
                                 int n,
                                 int k,
                                 const double* alpha,
                                 const double* a,
                                 int lda,
                                 const double* b,
                                 int ldb,
                                 const double* beta,
                                 double* c,
                                 int ldc) {
  return cublasDgemm(handle, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                     ldc);
}

// The handle is rebound only when it points at another stream: cublasSetStream also drops a
// workspace given by cublasSetWorkspace, which a caller capturing a CUDA graph may have set.
cublasHandle_t handle_on_stream(const Exec& exec) {
  MUSTFM_EXPECTS(exec.cublas != nullptr,
                 "dense layers on the CUDA backend need a cuBLAS handle, but Exec::cublas is null");
  cublasHandle_t handle = static_cast<cublasHandle_t>(exec.cublas);
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  cudaStream_t bound = nullptr;
  MUSTFM_CUBLAS_CHECK(cublasGetStream(handle, &bound));
  if (bound != stream) MUSTFM_CUBLAS_CHECK(cublasSetStream(handle, stream));
  return handle;
}

}  // namespace

template <class Real>
void gemm_cuda(const Exec& exec,
               bool transpose_a,
               bool transpose_b,
               std::size_t m,
               std::size_t n,
               std::size_t k,
               Real alpha,
               const Real* a,
               std::size_t lda,
               const Real* b,
               std::size_t ldb,
               Real beta,
               Real* c,
               std::size_t ldc) {
  if (m == 0 || n == 0) return;
  cublasHandle_t handle = handle_on_stream(exec);
  MUSTFM_CUBLAS_CHECK(gemm_column_major(
      handle, cublas_op(transpose_b), cublas_op(transpose_a), cublas_int(n, "columns"),
      cublas_int(m, "rows"), cublas_int(k, "inner dimension"), &alpha, b,
      cublas_int(ldb, "leading dimension"), a, cublas_int(lda, "leading dimension"), &beta, c,
      cublas_int(ldc, "leading dimension")));
}

template void gemm_cuda<float>(const Exec&,
                               bool,
                               bool,
                               std::size_t,
                               std::size_t,
                               std::size_t,
                               float,
                               const float*,
                               std::size_t,
                               const float*,
                               std::size_t,
                               float,
                               float*,
                               std::size_t);
template void gemm_cuda<double>(const Exec&,
                                bool,
                                bool,
                                std::size_t,
                                std::size_t,
                                std::size_t,
                                double,
                                const double*,
                                std::size_t,
                                const double*,
                                std::size_t,
                                double,
                                double*,
                                std::size_t);

void bind_cublas_workspace(const Exec& exec, void* workspace, std::size_t bytes) {
  MUSTFM_CUBLAS_CHECK(cublasSetWorkspace(handle_on_stream(exec), workspace, bytes));
}

void reset_cublas_workspace(const Exec& exec) {
  MUSTFM_EXPECTS(exec.cublas != nullptr, "resetting a cuBLAS workspace needs a cuBLAS handle");
  // cublasSetStream always returns the handle to the default workspace.
  MUSTFM_CUBLAS_CHECK(cublasSetStream(static_cast<cublasHandle_t>(exec.cublas),
                                      static_cast<cudaStream_t>(exec.stream)));
}

}  // namespace mustfm::detail
