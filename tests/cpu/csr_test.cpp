// CSR sparsity structure and its transpose (kernels/csr.h).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/common/error.h"
#include "kernels/csr.h"
#include "kernels/wfr_cost.h"

namespace mustfm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Csr, FromMaskKeepsAdmissiblePairsInRowOrder) {
  // 3 x 4; row 1 fully masked; pair (2,3) admitted by the mask but at infinite cost.
  const std::vector<std::uint8_t> mask = {1, 0, 1, 1,  //
                                          0, 0, 0, 0,  //
                                          0, 1, 1, 1};
  const CsrMatrix m = csr_from_mask(3, 4, {mask.data(), mask.size()}, [](int i, int j) {
    return (i == 2 && j == 3) ? kInf : 10.0 * i + j;
  });
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 4);
  EXPECT_EQ(m.row_offsets, (std::vector<std::int64_t>{0, 3, 3, 5}));
  EXPECT_EQ(m.col_indices, (std::vector<std::int32_t>{0, 2, 3, 1, 2}));
  EXPECT_EQ(m.costs, (std::vector<double>{0, 2, 3, 21, 22}));
  ASSERT_TRUE(m.has_transpose());
  EXPECT_EQ(m.transpose.col_offsets, (std::vector<std::int64_t>{0, 1, 2, 4, 5}));
  EXPECT_EQ(m.transpose.entries, (std::vector<std::int64_t>{0, 3, 1, 4, 2}));
  EXPECT_EQ(m.transpose.rows, (std::vector<std::int32_t>{0, 2, 0, 2, 0}));
  EXPECT_NO_THROW(validate_csr(m));
}

// Random structures: the transpose lists every entry exactly once, under its own column, with
// rows increasing; validate_csr accepts it.
TEST(Csr, TransposeListsEveryEntryOnce) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (const double density : {0.0, 0.05, 0.5, 1.0}) {
    const int rows = 37, cols = 23;
    std::vector<std::uint8_t> mask(rows * cols);
    for (auto& v : mask) v = uniform(rng) < density;
    const CsrMatrix m =
        csr_from_mask(rows, cols, {mask.data(), mask.size()}, [](int, int) { return 1.0; });
    EXPECT_NO_THROW(validate_csr(m)) << "density " << density;
    std::vector<int> seen(m.nnz(), 0);
    for (int c = 0; c < cols; ++c) {
      for (std::int64_t k = m.transpose.col_offsets[c]; k < m.transpose.col_offsets[c + 1]; ++k) {
        const std::int64_t e = m.transpose.entries[k];
        ++seen[e];
        EXPECT_EQ(m.col_indices[e], c) << "density " << density << " position " << k;
        EXPECT_TRUE(m.row_offsets[m.transpose.rows[k]] <= e &&
                    e < m.row_offsets[m.transpose.rows[k] + 1])
            << "density " << density << " position " << k;
      }
    }
    for (std::int64_t e = 0; e < m.nnz(); ++e)
      EXPECT_EQ(seen[e], 1) << "density " << density << " entry " << e;
  }
}

TEST(Csr, FromPointsDropsPairsAtAndBeyondTheCutOff) {
  const double delta = 0.5;
  const double cutoff = wfr_cutoff_distance(delta);
  // One source at 0; targets at 0.5 cutoff, just below, at, 2x (cos^2 = 1 again), 1.2x.
  const std::vector<double> x = {0.0};
  const std::vector<double> y = {0.5 * cutoff, std::nextafter(cutoff, 0.0), cutoff, 2 * cutoff,
                                 1.2 * cutoff};
  const CsrMatrix m = csr_from_points({x.data(), 1}, {y.data(), y.size()}, 1, delta);
  EXPECT_EQ(m.col_indices, (std::vector<std::int32_t>{0, 1}));
  EXPECT_NEAR(m.costs[0], std::log(2.0), 1e-15);
  EXPECT_TRUE(std::isfinite(m.costs[1]));

  // With a mask, a masked pair is dropped too.
  const std::vector<std::uint8_t> mask = {0, 1, 1, 1, 1};
  const CsrMatrix masked =
      csr_from_points({x.data(), 1}, {y.data(), y.size()}, 1, delta, {mask.data(), mask.size()});
  EXPECT_EQ(masked.col_indices, (std::vector<std::int32_t>{1}));
}

TEST(Csr, ValidateRejectsMalformedStructures) {
  const std::vector<std::uint8_t> mask(12, 1);
  const CsrMatrix good =
      csr_from_mask(3, 4, {mask.data(), mask.size()}, [](int i, int j) { return i + j; });
  const auto expect_rejected = [](const CsrMatrix& m, const char* what) {
    EXPECT_THROW(validate_csr(m), InputError) << what;
  };
  CsrMatrix m = good;
  m.col_indices[1] = 0;  // repeats column 0 within row 0
  expect_rejected(m, "not strictly increasing");
  m = good;
  m.col_indices[5] = 4;
  expect_rejected(m, "column out of range");
  m = good;
  m.row_offsets[3] = 11;
  expect_rejected(m, "offsets do not end at nnz");
  m = good;
  m.row_offsets.pop_back();
  expect_rejected(m, "too few offsets");
  m = good;
  m.costs.pop_back();
  expect_rejected(m, "costs per entry");
  m = good;
  std::swap(m.transpose.entries[0], m.transpose.entries[1]);
  expect_rejected(m, "transpose lists entries under the wrong column");
  // Without costs or transpose the structure is still valid.
  m = good;
  m.costs.clear();
  m.transpose = {};
  EXPECT_NO_THROW(validate_csr(m));
  EXPECT_FALSE(m.has_transpose());
  build_transpose(m);
  EXPECT_EQ(m.transpose.entries, good.transpose.entries);
}

TEST(Csr, MaskOfTheWrongSizeIsAnInputError) {
  const std::vector<std::uint8_t> mask(5, 1);
  EXPECT_THROW(csr_from_mask(2, 3, {mask.data(), mask.size()}, [](int, int) { return 0.0; }),
               InputError);
}

}  // namespace
}  // namespace mustfm
