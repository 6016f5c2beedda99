#include "kernels/csr.h"

#include <cmath>
#include <limits>
#include <string>

#include "kernels/common/error.h"
#include "kernels/wfr_cost.h"

namespace mustfm {
namespace {

void validate_transpose(const CsrMatrix& m) {
  const CsrTranspose& t = m.transpose;
  const std::int64_t nnz = m.nnz();
  MUSTFM_EXPECTS(
      t.col_offsets.front() == 0 && t.col_offsets.back() == nnz &&
          t.entries.size() == static_cast<std::size_t>(nnz) &&
          t.rows.size() == static_cast<std::size_t>(nnz),
      "CSR transpose: offsets or sizes do not match the " + std::to_string(nnz) + " entries");

  // The row of every entry, to check that the transpose lists each entry under its own row.
  std::vector<std::int32_t> row_of_entry(static_cast<std::size_t>(nnz));
  for (std::int32_t r = 0; r < m.rows; ++r)
    for (std::int64_t e = m.row_offsets[r]; e < m.row_offsets[r + 1]; ++e) row_of_entry[e] = r;

  for (std::int32_t c = 0; c < m.cols; ++c) {
    MUSTFM_EXPECTS(t.col_offsets[c] <= t.col_offsets[c + 1],
                   "CSR transpose: offsets decrease at column " + std::to_string(c));
    for (std::int64_t k = t.col_offsets[c]; k < t.col_offsets[c + 1]; ++k) {
      const std::int64_t e = t.entries[k];
      const bool ok = e >= 0 && e < nnz && m.col_indices[e] == c && row_of_entry[e] == t.rows[k] &&
                      (k == t.col_offsets[c] || t.rows[k - 1] < t.rows[k]);
      MUSTFM_EXPECTS(ok, "CSR transpose: position " + std::to_string(k) + " of column " +
                             std::to_string(c) + " does not list a distinct entry of that column");
    }
  }
}

}  // namespace

void validate_csr(const CsrMatrix& m) {
  MUSTFM_EXPECTS(m.rows >= 0 && m.cols >= 0, "CSR: negative shape");
  MUSTFM_EXPECTS(m.row_offsets.size() == static_cast<std::size_t>(m.rows) + 1,
                 "CSR: " + std::to_string(m.row_offsets.size()) + " row offsets for " +
                     std::to_string(m.rows) + " rows (need rows + 1)");
  const std::int64_t nnz = m.nnz();
  MUSTFM_EXPECTS(m.row_offsets.front() == 0 && m.row_offsets.back() == nnz,
                 "CSR: row offsets must run from 0 to nnz = " + std::to_string(nnz));
  MUSTFM_EXPECTS(
      m.costs.empty() || m.costs.size() == static_cast<std::size_t>(nnz),
      "CSR: " + std::to_string(m.costs.size()) + " costs for " + std::to_string(nnz) + " entries");

  for (std::int32_t r = 0; r < m.rows; ++r) {
    MUSTFM_EXPECTS(m.row_offsets[r] <= m.row_offsets[r + 1],
                   "CSR: row offsets decrease at row " + std::to_string(r));
    for (std::int64_t e = m.row_offsets[r]; e < m.row_offsets[r + 1]; ++e) {
      const std::int32_t c = m.col_indices[e];
      const bool ok = c >= 0 && c < m.cols && (e == m.row_offsets[r] || m.col_indices[e - 1] < c);
      MUSTFM_EXPECTS(ok, "CSR: entry " + std::to_string(e) + " of row " + std::to_string(r) +
                             " has column " + std::to_string(c) +
                             " (out of range or not strictly increasing)");
    }
  }
  if (m.has_transpose()) validate_transpose(m);
}

CsrTranspose transpose_of(const CsrMatrix& m) {
  CsrTranspose t;
  const std::size_t nnz = static_cast<std::size_t>(m.nnz());
  t.col_offsets.assign(static_cast<std::size_t>(m.cols) + 1, 0);
  t.entries.resize(nnz);
  t.rows.resize(nnz);

  for (std::int32_t c : m.col_indices) ++t.col_offsets[c + 1];
  for (std::int32_t c = 0; c < m.cols; ++c) t.col_offsets[c + 1] += t.col_offsets[c];

  // Visiting rows in order keeps rows increasing within each column.
  std::vector<std::int64_t> next(t.col_offsets.begin(), t.col_offsets.end() - 1);
  for (std::int32_t r = 0; r < m.rows; ++r) {
    for (std::int64_t e = m.row_offsets[r]; e < m.row_offsets[r + 1]; ++e) {
      const std::int64_t slot = next[m.col_indices[e]]++;
      t.entries[slot] = e;
      t.rows[slot] = r;
    }
  }
  return t;
}

void build_transpose(CsrMatrix& m) {
  m.transpose = transpose_of(m);
}

CsrMatrix csr_from_mask(std::int32_t rows,
                        std::int32_t cols,
                        View<const std::uint8_t> mask,
                        const std::function<double(std::int32_t, std::int32_t)>& cost) {
  MUSTFM_EXPECTS(rows >= 0 && cols >= 0, "CSR: negative shape");
  const std::size_t cells = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  MUSTFM_EXPECTS(mask.size == cells, "CSR: mask has " + std::to_string(mask.size) +
                                         " values for a " + std::to_string(rows) + " x " +
                                         std::to_string(cols) + " problem");
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.row_offsets.reserve(static_cast<std::size_t>(rows) + 1);
  m.row_offsets.push_back(0);
  for (std::int32_t r = 0; r < rows; ++r) {
    for (std::int32_t c = 0; c < cols; ++c) {
      if (mask[static_cast<std::size_t>(r) * cols + c] == 0) continue;
      const double value = cost(r, c);
      if (value == std::numeric_limits<double>::infinity()) continue;
      m.col_indices.push_back(c);
      m.costs.push_back(value);
    }
    m.row_offsets.push_back(m.nnz());
  }
  build_transpose(m);
  return m;
}

CsrMatrix csr_from_points(View<const double> x,
                          View<const double> y,
                          int dim,
                          double delta,
                          View<const std::uint8_t> mask) {
  MUSTFM_EXPECTS(dim > 0 && x.size % dim == 0 && y.size % dim == 0,
                 "CSR: coordinate arrays are not multiples of dimension " + std::to_string(dim));
  MUSTFM_EXPECTS(delta > 0 && std::isfinite(delta),
                 "CSR: delta must be positive and finite, got " + std::to_string(delta));
  const auto rows = static_cast<std::int32_t>(x.size / dim);
  const auto cols = static_cast<std::int32_t>(y.size / dim);
  std::vector<std::uint8_t> all;
  if (mask.empty()) {
    all.assign(static_cast<std::size_t>(rows) * cols, 1);
    mask = View<const std::uint8_t>{all.data(), all.size()};
  }
  return csr_from_mask(rows, cols, mask, [&](std::int32_t r, std::int32_t c) {
    return wfr_cost(x.data + static_cast<std::size_t>(r) * dim,
                    y.data + static_cast<std::size_t>(c) * dim, dim, delta);
  });
}

}  // namespace mustfm
