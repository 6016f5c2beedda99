// Tiled log-domain Sinkhorn, CPU backend (kernels/uot_tiles.h): OpenMP over rows for the f
// update and over columns for the g update, each walking its tiles in CSR (or transpose) order
// with the cost of every pair recomputed from the points (kernels/uot_tiles_entry.h). Names as
// in kernels/uot_solver.h; tau = rho / (rho + eps).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "kernels/lse.h"
#include "kernels/sinkhorn_schedule.h"
#include "kernels/uot_tiles_detail.h"
#include "kernels/uot_tiles_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The passes over host vectors, in the form run_sinkhorn_schedule drives: the potentials f
// (current), f_new (the row pass's output) and g, and the residual of the last pass pair.
struct TileCpuPasses {
  TileCpuPasses(const TilesPrepared& p, const UotOptions& options)
      : problem(p),
        f(sinkhorn_initial_potential(p.log_a, options.f_init)),
        f_new(f),
        g(sinkhorn_initial_potential(p.log_b, options.g_init)) {}

  void pass_pair(double eps, double omega) {
    const double tau = problem.rho / (problem.rho + eps);
    if (omega != 1.0) g_previous = g;
    column_pass(eps, tau);
    if (omega != 1.0) sinkhorn_relax_lines(g_previous, problem.log_b, omega, g);
    residual = row_pass(eps, tau);
  }
  double read_residual() const { return residual; }
  void advance(double omega, bool translate_after) {
    if (omega != 1.0) sinkhorn_relax_lines(f, problem.log_a, omega, f_new);
    std::swap(f, f_new);
    if (translate_after) sinkhorn_translate(problem.log_a, problem.log_b, problem.rho, f, g);
  }

  const TilesPrepared& problem;
  std::vector<double> f;
  std::vector<double> f_new;
  std::vector<double> g;
  std::vector<double> g_previous;
  double residual = kInf;

  // g_j <- -tau eps LSE_i((f_i - C_ij) / eps + log a_i) over the column's tiles.
  void column_pass(double eps, double tau) {
    const UotTiledProblem& q = *problem.problem;
#pragma omp parallel for schedule(dynamic, 16) if (problem.parallel)
    for (std::int32_t j = 0; j < problem.cols; ++j) {
      if (problem.log_b[j] == -kInf) continue;
      LseState<double> state;
      for (std::int64_t k = problem.col_tile_offsets[j]; k < problem.col_tile_offsets[j + 1]; ++k) {
        const UotTile& tile = q.tiles[problem.col_tiles[k]];
        for (std::int32_t i = tile.row_begin; i < tile.row_end; ++i)
          lse_push(state, tile_lse_term(problem.source_point(i), problem.target_point(j), q.dim,
                                        q.delta, f[i], problem.log_a[i], eps));
      }
      g[j] = sinkhorn_potential(lse_value(state), tau, eps);
    }
  }

  // f_new_i <- -tau eps LSE_j((g_j - C_ij) / eps + log b_j); returns max_i |f_new_i - f_i| /
  // (tau eps).
  double row_pass(double eps, double tau) {
    const UotTiledProblem& q = *problem.problem;
    double worst = 0.0;
#pragma omp parallel for schedule(dynamic, 16) if (problem.parallel) reduction(max : worst)
    for (std::int32_t i = 0; i < problem.rows; ++i) {
      if (problem.log_a[i] == -kInf) continue;
      LseState<double> state;
      for (std::int64_t k = problem.row_tile_offsets[i]; k < problem.row_tile_offsets[i + 1]; ++k) {
        const UotTile& tile = q.tiles[problem.row_tiles[k]];
        for (std::int32_t j = tile.col_begin; j < tile.col_end; ++j)
          lse_push(state, tile_lse_term(problem.source_point(i), problem.target_point(j), q.dim,
                                        q.delta, g[j], problem.log_b[j], eps));
      }
      f_new[i] = sinkhorn_potential(lse_value(state), tau, eps);
      worst = std::max(worst, std::fabs(f_new[i] - f[i]) / (tau * eps));
    }
    return worst;
  }
};

}  // namespace

UotRaw sinkhorn_tiles_cpu(const TilesPrepared& p, const UotOptions& options) {
  TileCpuPasses passes(p, options);
  UotRaw raw;
  run_sinkhorn_schedule(passes, options, p.rho, raw);

  const UotTiledProblem& q = *p.problem;
  raw.plan.assign(static_cast<std::size_t>(p.plan_offsets.back()), 0.0);
  const auto tiles = static_cast<std::int64_t>(q.tiles.size());
#pragma omp parallel for schedule(dynamic, 1) if (p.parallel)
  for (std::int64_t t = 0; t < tiles; ++t) {
    const UotTile& tile = q.tiles[t];
    std::int64_t position = p.plan_offsets[t];
    for (std::int32_t i = tile.row_begin; i < tile.row_end; ++i)
      for (std::int32_t j = tile.col_begin; j < tile.col_end; ++j)
        raw.plan[position++] =
            tile_plan_value(p.source_point(i), p.target_point(j), q.dim, q.delta, passes.f[i],
                            passes.g[j], p.log_a[i], p.log_b[j], raw.eps);
  }
  raw.f = std::move(passes.f);
  raw.g = std::move(passes.g);
  return raw;
}

}  // namespace mustfm::detail
