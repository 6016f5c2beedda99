// CPU twins of the dense-layer kernels: the matrix product, bias plus LeakyReLU forward, the
// activation and bias backward passes, and the weighted flow-matching loss. Matrices are
// row-major, `rows` = batch entries and `cols` = features; pointers are host memory.
// Reductions use a fixed partition of the rows, so results do not depend on the thread count.
#pragma once

#include <cstddef>

namespace mustfm {

// c = alpha op(a) op(b) + beta c with op(a) m x k, op(b) k x n, c m x n, all row-major with
// leading dimensions lda, ldb, ldc; op transposes when the flag is set (OpenBLAS).
template <class Real>
void gemm_cpu(bool transpose_a,
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
              std::size_t ldc);

// z[r][j] += bias[j], in place (the output layer).
template <class Real>
void add_bias_cpu(Real* z, const Real* bias, std::size_t rows, std::size_t cols);

// z[r][j] = leaky_relu(z[r][j] + bias[j], slope), in place (hidden layers).
template <class Real>
void add_bias_leaky_relu_cpu(
    Real* z, const Real* bias, std::size_t rows, std::size_t cols, Real slope);

// grad_input[i] = grad_output[i] * a'(z_i), with the derivative read from the stored output
// (requires slope >= 0). Assigns; grad_input may be grad_output (in place).
template <class Real>
void leaky_relu_backward_cpu(
    const Real* grad_output, const Real* output, Real* grad_input, std::size_t count, Real slope);

// grad_bias[j] = sum over rows of grad[r][j] (column sums). Assigns.
template <class Real>
void bias_gradient_cpu(const Real* grad, std::size_t rows, std::size_t cols, Real* grad_bias);

// Weighted flow-matching loss with w one weight per row:
//   loss = sum_{r,j} w[r] (y[r][j] - target[r][j])^2 / (rows cols)
// Returns the loss (accumulated in double) and assigns its gradient
//   grad[r][j] = 2 w[r] (y[r][j] - target[r][j]) / (rows cols).
// grad may be y (in place).
template <class Real>
double weighted_mse_cpu(const Real* y,
                        const Real* target,
                        const Real* weight,
                        std::size_t rows,
                        std::size_t cols,
                        Real* grad);

}  // namespace mustfm
