// Sparsity structure of a masked transport problem: compressed sparse rows (rows = sources,
// columns = targets) holding the admissible pairs, optionally their costs, and a transpose that
// lists, for each column, the positions of its entries in the row-major arrays. Row passes of a
// solver walk the rows; column passes walk the transpose, so neither needs atomics.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/common/memory.h"

namespace mustfm {

// For each column c, entries[col_offsets[c] .. col_offsets[c+1]) are positions into the CSR
// arrays (col_indices, costs, a plan) of the entries in column c, with rows[k] the row of
// entries[k]. Within a column, rows increase.
struct CsrTranspose {
  std::vector<std::int64_t> col_offsets;
  std::vector<std::int64_t> entries;
  std::vector<std::int32_t> rows;
};

// Row r holds entries row_offsets[r] .. row_offsets[r+1]) with strictly increasing column
// indices. `costs` has one value per entry, or is empty when costs are computed on the fly.
struct CsrMatrix {
  std::int32_t rows = 0;
  std::int32_t cols = 0;
  std::vector<std::int64_t> row_offsets;
  std::vector<std::int32_t> col_indices;
  std::vector<double> costs;
  CsrTranspose transpose;

  std::int64_t nnz() const { return static_cast<std::int64_t>(col_indices.size()); }
  bool has_costs() const { return costs.size() == col_indices.size(); }
  bool has_transpose() const {
    return transpose.col_offsets.size() == static_cast<std::size_t>(cols) + 1;
  }
};

// Throws InputError naming the offending row or entry unless the row structure is well formed
// (offsets start at 0, never decrease and end at nnz; columns in range and strictly increasing
// within each row; costs empty or one per entry) and the transpose, if present, matches it.
void validate_csr(const CsrMatrix& matrix);

// The transpose of the row structure, by a counting sort over the columns: O(nnz + cols).
CsrTranspose transpose_of(const CsrMatrix& matrix);

// matrix.transpose = transpose_of(matrix).
void build_transpose(CsrMatrix& matrix);

// Pair (row, col) is kept when mask[row * cols + col] != 0 and cost(row, col) is not +inf, so
// inadmissible pairs never enter the structure. The transpose is built.
CsrMatrix csr_from_mask(std::int32_t rows,
                        std::int32_t cols,
                        View<const std::uint8_t> mask,
                        const std::function<double(std::int32_t, std::int32_t)>& cost);

// WFR costs (kernels/wfr_cost.h) between sources x (rows x dim, row-major) and targets y
// (cols x dim), keeping the pairs below the cut-off pi delta that `mask` admits; an empty mask
// admits every pair.
CsrMatrix csr_from_points(View<const double> x,
                          View<const double> y,
                          int dim,
                          double delta,
                          View<const std::uint8_t> mask = {});

}  // namespace mustfm
