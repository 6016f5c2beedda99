#include "engine/synthetic.h"

#include <cmath>
#include <string>

#include "kernels/common/error.h"
#include "kernels/common/random.h"

namespace mustfm {

namespace {

constexpr std::uint32_t kSnapshot0Stream = 0;
constexpr std::uint32_t kNewbornStream = 1;

void check_settings(const SyntheticSettings& s) {
  MUSTFM_EXPECTS(s.cells_per_cluster >= 1,
                 "data.synthetic.cells_per_cluster must be at least 1, got " +
                     std::to_string(s.cells_per_cluster));
  MUSTFM_EXPECTS(
      std::isfinite(s.noise) && s.noise >= 0.0,
      "data.synthetic.noise must be a finite number >= 0, got " + std::to_string(s.noise));
  MUSTFM_EXPECTS(std::isfinite(s.time_step) && s.time_step > 0.0,
                 "data.synthetic.time_step must be a finite positive number, got " +
                     std::to_string(s.time_step));
  MUSTFM_EXPECTS(std::isfinite(s.coarse_spacing) && std::isfinite(s.fine_spacing) &&
                     std::isfinite(s.translation),
                 "data.synthetic.coarse_spacing, fine_spacing and translation must be finite");
}

// Appends one cell (a row of the table) with its labels.
void add_cell(CellTable& table, double time, double x, double y, int coarse, int fine) {
  table.line.push_back(table.time.size() + 2);
  table.time.push_back(time);
  table.features.push_back(x);
  table.features.push_back(y);
  table.levels[0].push_back(std::to_string(coarse));
  table.levels[1].push_back(std::to_string(fine));
  table.weight.push_back(1.0);
}

// A Gaussian point around `centre`: draw `index` of Philox stream `stream`.
std::array<double, 2> draw_point(const SyntheticSettings& settings,
                                 std::uint32_t stream,
                                 std::uint64_t index,
                                 const std::array<double, 2>& centre) {
  double z0 = 0.0;
  double z1 = 0.0;
  standard_normal_pair(random_bits(settings.seed, stream, 0, index), z0, z1);
  return {centre[0] + settings.noise * z0, centre[1] + settings.noise * z1};
}

}  // namespace

std::array<double, 2> multiscale_centre(const SyntheticSettings& settings, int coarse, int fine) {
  MUSTFM_ASSERT(coarse >= 0 && coarse < kMultiscaleCoarseClusters && fine >= 0 &&
                    fine < kMultiscaleFineClusters,
                "multiscale cluster index out of range");
  const double a = fine / 3 - 1;
  const double b = fine % 3 - 1;
  return {a * settings.fine_spacing,
          (1 - coarse) * settings.coarse_spacing + b * settings.fine_spacing};
}

SyntheticData generate_multiscale_data(const SyntheticSettings& settings, bool with_growth) {
  check_settings(settings);
  const auto per_cluster = static_cast<std::size_t>(settings.cells_per_cluster);
  const double t1 = settings.time_step;

  SyntheticData data;
  CellTable& table = data.table;
  table.source = with_growth ? "builtin:multiscale-growth" : "builtin:multiscale";
  table.dimension = 2;
  table.feature_names = {"x1", "x2"};
  table.level_names = {"scale0", "scale1"};
  table.levels.resize(2);
  const std::size_t rows =
      2 * kMultiscaleCoarseClusters * kMultiscaleFineClusters * per_cluster + per_cluster;
  table.time.reserve(rows);
  table.features.reserve(2 * rows);

  // Snapshot 0: cluster by cluster, cell index = table row = Philox index.
  for (int coarse = 0; coarse < kMultiscaleCoarseClusters; ++coarse)
    for (int fine = 0; fine < kMultiscaleFineClusters; ++fine) {
      const auto centre = multiscale_centre(settings, coarse, fine);
      for (std::size_t k = 0; k < per_cluster; ++k) {
        const auto p = draw_point(settings, kSnapshot0Stream, table.time.size(), centre);
        add_cell(table, 0.0, p[0], p[1], coarse, fine);
      }
    }
  data.snapshot0_cells = table.time.size();

  // Snapshot 1: the translated images, in the same order, with the growth edits per cluster.
  std::uint64_t newborns = 0;
  for (int coarse = 0; coarse < kMultiscaleCoarseClusters; ++coarse)
    for (int fine = 0; fine < kMultiscaleFineClusters; ++fine) {
      const std::size_t first = (coarse * kMultiscaleFineClusters + fine) * per_cluster;
      const bool doubles = with_growth && coarse == 0 && fine == 0;
      const bool halves = with_growth && coarse == kMultiscaleCoarseClusters - 1 &&
                          fine == kMultiscaleFineClusters - 1;
      const std::size_t kept = halves ? per_cluster / 2 : per_cluster;
      for (std::size_t k = 0; k < kept; ++k) {
        const std::size_t row = first + k;
        add_cell(table, t1, table.features[2 * row] + settings.translation,
                 table.features[2 * row + 1], coarse, fine);
        data.true_partner.push_back(static_cast<std::int64_t>(row));
      }
      if (!doubles) continue;
      auto centre = multiscale_centre(settings, coarse, fine);
      centre[0] += settings.translation;
      for (std::size_t k = 0; k < per_cluster; ++k) {
        const auto p = draw_point(settings, kNewbornStream, newborns++, centre);
        add_cell(table, t1, p[0], p[1], coarse, fine);
        data.true_partner.push_back(-1);
      }
    }

  table.cell_count = table.time.size();
  return data;
}

CellTable generate_multiscale(const SyntheticSettings& settings, bool with_growth) {
  return generate_multiscale_data(settings, with_growth).table;
}

}  // namespace mustfm
