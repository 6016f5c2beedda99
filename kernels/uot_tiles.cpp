// Entry point of the tiled solver (kernels/uot_tiles.h): checks, the per-row and per-column tile
// lists, normalization by Z, the backend switch, and the report summarized in the order of the
// equivalent CSR so both give the same sums. Names as in kernels/uot_solver.h.
#include "kernels/uot_tiles.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "kernels/common/error.h"
#include "kernels/uot_entry.h"
#include "kernels/uot_tiles_detail.h"
#include "kernels/wfr_cost.h"

namespace mustfm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Below this many pairs the CPU passes run on one thread.
constexpr std::int64_t kParallelMinPairs = 1 << 15;

std::string tile_text(const UotTile& t) {
  return "[" + std::to_string(t.row_begin) + ", " + std::to_string(t.row_end) + ") x [" +
         std::to_string(t.col_begin) + ", " + std::to_string(t.col_end) + ")";
}

void check_points_and_tiles(const UotTiledProblem& problem) {
  MUSTFM_EXPECTS(problem.a.space == MemorySpace::host && problem.b.space == MemorySpace::host &&
                     problem.x.space == MemorySpace::host && problem.y.space == MemorySpace::host,
                 "tiled UOT: masses and points must be in host memory");
  MUSTFM_EXPECTS(problem.dim > 0, "tiled UOT: dimension " + std::to_string(problem.dim));
  const std::size_t dim = static_cast<std::size_t>(problem.dim);
  MUSTFM_EXPECTS(problem.x.size == problem.a.size * dim && problem.y.size == problem.b.size * dim,
                 "tiled UOT: " + std::to_string(problem.x.size) + " source and " +
                     std::to_string(problem.y.size) + " target coordinates for " +
                     std::to_string(problem.a.size) + " x " + std::to_string(problem.b.size) +
                     " points of dimension " + std::to_string(problem.dim));
  MUSTFM_EXPECTS(
      problem.a.size <= std::size_t{0x7fffffff} && problem.b.size <= std::size_t{0x7fffffff},
      "tiled UOT: more than 2^31 - 1 sources or targets");
  MUSTFM_EXPECTS(
      problem.delta > 0 && std::isfinite(problem.delta),
      "tiled UOT: delta must be positive and finite, got " + std::to_string(problem.delta));
  for (std::size_t k = 0; k < problem.x.size; ++k)
    MUSTFM_EXPECTS(std::isfinite(problem.x[k]),
                   "tiled UOT: source coordinate " + std::to_string(k) + " is not finite");
  for (std::size_t k = 0; k < problem.y.size; ++k)
    MUSTFM_EXPECTS(std::isfinite(problem.y[k]),
                   "tiled UOT: target coordinate " + std::to_string(k) + " is not finite");

  const auto rows = static_cast<std::int32_t>(problem.a.size);
  const auto cols = static_cast<std::int32_t>(problem.b.size);
  for (std::size_t t = 0; t < problem.tiles.size(); ++t) {
    const UotTile& tile = problem.tiles[t];
    const bool ok = 0 <= tile.row_begin && tile.row_begin <= tile.row_end && tile.row_end <= rows &&
                    0 <= tile.col_begin && tile.col_begin <= tile.col_end && tile.col_end <= cols;
    MUSTFM_EXPECTS(ok, "tiled UOT: tile " + std::to_string(t) + " " + tile_text(tile) +
                           " lies outside the " + std::to_string(rows) + " x " +
                           std::to_string(cols) + " problem");
  }
}

void check_options(const UotTiledProblem& problem, const UotOptions& options) {
  MUSTFM_EXPECTS(options.solver == UotSolver::sinkhorn,
                 "tiled UOT: only the sinkhorn solver takes tiled problems");
  const auto positive = [](double v) { return v > 0 && std::isfinite(v); };
  MUSTFM_EXPECTS(positive(problem.rho),
                 "tiled UOT: rho must be positive, got " + std::to_string(problem.rho));
  MUSTFM_EXPECTS(positive(options.eps) && positive(options.eps_start),
                 "tiled UOT: eps and eps_start must be positive");
  MUSTFM_EXPECTS(
      options.eps_decay > 0 && options.eps_decay < 1,
      "tiled UOT: eps_decay must lie in (0, 1), got " + std::to_string(options.eps_decay));
  MUSTFM_EXPECTS(options.max_iterations >= 1 && options.check_every >= 1,
                 "tiled UOT: max_iterations and check_every must be at least 1");
  MUSTFM_EXPECTS(options.tolerance >= 0 && options.stage_tolerance >= 0,
                 "tiled UOT: tolerances must not be negative");
  MUSTFM_EXPECTS(options.f_init.empty() || options.f_init.size == problem.a.size,
                 "tiled UOT: f_init has " + std::to_string(options.f_init.size) + " values for " +
                     std::to_string(problem.a.size) + " rows");
  MUSTFM_EXPECTS(options.g_init.empty() || options.g_init.size == problem.b.size,
                 "tiled UOT: g_init has " + std::to_string(options.g_init.size) + " values for " +
                     std::to_string(problem.b.size) + " columns");
  for (std::size_t i = 0; i < problem.a.size; ++i)
    MUSTFM_EXPECTS(!(problem.a[i] < 0), "tiled UOT: negative source mass at " + std::to_string(i));
  for (std::size_t j = 0; j < problem.b.size; ++j)
    MUSTFM_EXPECTS(!(problem.b[j] < 0), "tiled UOT: negative target mass at " + std::to_string(j));
}

// For each of `lines` rows (or columns), the non-empty tiles covering it ordered by where they
// start along the other axis; throws InputError when two of them overlap there. `span` gives a
// tile's [begin, end) along the lines' axis, `across` along the other.
template <class Span, class Across>
void tiles_per_line(const std::vector<UotTile>& tiles,
                    std::int32_t lines,
                    const Span& span,
                    const Across& across,
                    std::vector<std::int64_t>& offsets,
                    std::vector<std::int32_t>& ids) {
  offsets.assign(static_cast<std::size_t>(lines) + 1, 0);
  for (const UotTile& tile : tiles) {
    if (tile.area() == 0) continue;
    const auto [begin, end] = span(tile);
    for (std::int32_t l = begin; l < end; ++l) ++offsets[l + 1];
  }
  for (std::int32_t l = 0; l < lines; ++l) offsets[l + 1] += offsets[l];
  ids.resize(static_cast<std::size_t>(offsets[lines]));
  std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    if (tiles[t].area() == 0) continue;
    const auto [begin, end] = span(tiles[t]);
    for (std::int32_t l = begin; l < end; ++l) ids[next[l]++] = static_cast<std::int32_t>(t);
  }
  for (std::int32_t l = 0; l < lines; ++l) {
    const auto first = ids.begin() + offsets[l];
    const auto last = ids.begin() + offsets[l + 1];
    std::sort(first, last, [&](std::int32_t s, std::int32_t t) {
      return across(tiles[s]).first < across(tiles[t]).first;
    });
    for (auto it = first; it != last && it + 1 != last; ++it)
      MUSTFM_EXPECTS(across(tiles[*it]).second <= across(tiles[*(it + 1)]).first,
                     "tiled UOT: tiles " + std::to_string(*it) + " " + tile_text(tiles[*it]) +
                         " and " + std::to_string(*(it + 1)) + " " + tile_text(tiles[*(it + 1)]) +
                         " overlap");
  }
}

std::pair<std::int32_t, std::int32_t> row_span(const UotTile& t) {
  return {t.row_begin, t.row_end};
}
std::pair<std::int32_t, std::int32_t> col_span(const UotTile& t) {
  return {t.col_begin, t.col_end};
}

// The tiles per row and per column, checked for overlaps (every overlap shows in some row).
void list_tiles(const UotTiledProblem& problem, detail::TilesPrepared& p) {
  tiles_per_line(problem.tiles, p.rows, row_span, col_span, p.row_tile_offsets, p.row_tiles);
  tiles_per_line(problem.tiles, p.cols, col_span, row_span, p.col_tile_offsets, p.col_tiles);
}

double pair_cost(const detail::TilesPrepared& p, std::int32_t i, std::int32_t j) {
  return wfr_cost(p.source_point(i), p.target_point(j), p.problem->dim, p.problem->delta);
}

// Scales the plan back by Z and fills the report, visiting pairs row by row in column order as
// solve_uot visits the equivalent CSR, so the sums agree with it to the last bit for equal plans.
void summarize(const detail::TilesPrepared& p, detail::UotRaw raw, UotResult& result) {
  const UotTiledProblem& q = *p.problem;
  result.status = raw.status;
  result.iterations = raw.iterations;
  result.residual = raw.residual;
  result.eps = raw.eps;
  result.plan = std::move(raw.plan);
  for (double& gamma : result.plan) gamma *= p.z;

  std::vector<double> r(static_cast<std::size_t>(p.rows), 0.0);
  std::vector<double> c(static_cast<std::size_t>(p.cols), 0.0);
  double transport_cost = 0.0;
  for (std::int32_t i = 0; i < p.rows; ++i) {
    for (std::int64_t k = p.row_tile_offsets[i]; k < p.row_tile_offsets[i + 1]; ++k) {
      const std::int32_t t = p.row_tiles[k];
      const UotTile& tile = q.tiles[t];
      const std::int64_t row_start = p.plan_offsets[t] + (i - tile.row_begin) * tile.cols();
      for (std::int32_t j = tile.col_begin; j < tile.col_end; ++j) {
        const double gamma = result.plan[row_start + (j - tile.col_begin)];
        if (gamma == 0) continue;
        r[i] += gamma;
        c[j] += gamma;
        transport_cost += gamma * pair_cost(p, i, j);
      }
    }
  }

  double marginal_penalty = 0.0;
  for (std::int32_t i = 0; i < p.rows; ++i) {
    marginal_penalty += kl_term(r[i], q.a[i]);
    result.transported_mass += r[i];
    if (p.log_a[i] == -kInf) result.unmatched_mass += q.a[i];
  }
  for (std::int32_t j = 0; j < p.cols; ++j) {
    marginal_penalty += kl_term(c[j], q.b[j]);
    if (p.log_b[j] == -kInf) result.unmatched_mass += q.b[j];
  }
  result.objective = transport_cost + q.rho * marginal_penalty;
  result.f = std::move(raw.f);
  result.g = std::move(raw.g);
}

}  // namespace

namespace detail {

TilesPrepared tile_layout(const UotTiledProblem& problem) {
  TilesPrepared p;
  p.problem = &problem;
  p.rows = static_cast<std::int32_t>(problem.a.size);
  p.cols = static_cast<std::int32_t>(problem.b.size);
  p.rho = problem.rho;
  list_tiles(problem, p);
  p.plan_offsets = tile_plan_offsets(problem.tiles);
  p.pairs = p.plan_offsets.back();
  p.parallel = p.pairs >= kParallelMinPairs;
  return p;
}

void normalize_tile_masses(TilesPrepared& p, double z) {
  const UotTiledProblem& problem = *p.problem;
  p.z = z;
  p.a.assign(problem.a.begin(), problem.a.end());
  p.b.assign(problem.b.begin(), problem.b.end());
  for (double& v : p.a) v /= z;
  for (double& v : p.b) v /= z;

  // A row (column) can carry mass when its mass is positive and some admissible pair joins it
  // to a partner of positive mass: the rule of prepare_uot, with costs from the points.
  const auto live = [&](std::int32_t line, bool is_row) {
    const std::vector<double>& own = is_row ? p.a : p.b;
    const std::vector<double>& partner = is_row ? p.b : p.a;
    if (!(own[line] > 0)) return false;
    const std::vector<std::int64_t>& offsets = is_row ? p.row_tile_offsets : p.col_tile_offsets;
    const std::vector<std::int32_t>& ids = is_row ? p.row_tiles : p.col_tiles;
    for (std::int64_t k = offsets[line]; k < offsets[line + 1]; ++k) {
      const UotTile& tile = problem.tiles[ids[k]];
      const std::int32_t begin = is_row ? tile.col_begin : tile.row_begin;
      const std::int32_t end = is_row ? tile.col_end : tile.row_end;
      for (std::int32_t other = begin; other < end; ++other) {
        if (!(partner[other] > 0)) continue;
        const double cost = is_row ? pair_cost(p, line, other) : pair_cost(p, other, line);
        if (cost < kInf) return true;
      }
    }
    return false;
  };
  p.log_a.assign(p.a.size(), -kInf);
  p.log_b.assign(p.b.size(), -kInf);
#pragma omp parallel for schedule(dynamic, 64) if (p.parallel)
  for (std::int32_t i = 0; i < p.rows; ++i)
    if (live(i, true)) p.log_a[i] = std::log(p.a[i]);
#pragma omp parallel for schedule(dynamic, 64) if (p.parallel)
  for (std::int32_t j = 0; j < p.cols; ++j)
    if (live(j, false)) p.log_b[j] = std::log(p.b[j]);
}

}  // namespace detail

std::vector<std::int64_t> tile_plan_offsets(const std::vector<UotTile>& tiles) {
  std::vector<std::int64_t> offsets(tiles.size() + 1, 0);
  for (std::size_t t = 0; t < tiles.size(); ++t)
    offsets[t + 1] = offsets[t] + std::max<std::int64_t>(tiles[t].area(), 0);
  return offsets;
}

UotResult solve_uot_tiles(const Exec& exec,
                          const UotTiledProblem& problem,
                          const UotOptions& options) {
#ifndef MUSTFM_WITH_CUDA
  MUSTFM_EXPECTS(exec.backend == Backend::cpu,
                 "tiled UOT: the CUDA backend was requested, but this build has no CUDA");
#endif
  check_points_and_tiles(problem);
  check_options(problem, options);

  detail::TilesPrepared prepared = detail::tile_layout(problem);

  UotResult result;
  result.plan.assign(static_cast<std::size_t>(prepared.pairs), 0.0);
  double z = 0.0;
  bool finite = true;
  for (double v : problem.a) {
    z += v;
    finite = finite && std::isfinite(v);
  }
  for (double v : problem.b) {
    z += v;
    finite = finite && std::isfinite(v);
  }
  z *= 0.5;
  if (!finite || !std::isfinite(z)) {
    result.status = UotStatus::non_finite_input;
    result.objective = result.residual = kNaN;
    result.f.assign(problem.a.size, kNaN);
    result.g.assign(problem.b.size, kNaN);
    return result;
  }
  // Masses all zero: nothing can move and the objective is 0.
  if (z == 0) {
    result.f.assign(problem.a.size, kInf);
    result.g.assign(problem.b.size, kInf);
    return result;
  }

  detail::normalize_tile_masses(prepared, z);
#ifdef MUSTFM_WITH_CUDA
  if (exec.backend == Backend::cuda) {
    summarize(prepared, detail::sinkhorn_tiles_cuda(exec, prepared, options), result);
    return result;
  }
#endif
  summarize(prepared, detail::sinkhorn_tiles_cpu(prepared, options), result);
  return result;
}

TiledCsr csr_from_tiles(const UotTiledProblem& problem) {
  check_points_and_tiles(problem);
  const detail::TilesPrepared p = detail::tile_layout(problem);

  TiledCsr out;
  CsrMatrix& m = out.structure;
  m.rows = p.rows;
  m.cols = p.cols;
  m.row_offsets.push_back(0);
  for (std::int32_t i = 0; i < p.rows; ++i) {
    for (std::int64_t k = p.row_tile_offsets[i]; k < p.row_tile_offsets[i + 1]; ++k) {
      const std::int32_t t = p.row_tiles[k];
      const UotTile& tile = problem.tiles[t];
      const std::int64_t row_start = p.plan_offsets[t] + (i - tile.row_begin) * tile.cols();
      for (std::int32_t j = tile.col_begin; j < tile.col_end; ++j) {
        const double cost = pair_cost(p, i, j);
        if (!(cost < kInf)) continue;
        m.col_indices.push_back(j);
        m.costs.push_back(cost);
        out.tile_position.push_back(row_start + (j - tile.col_begin));
      }
    }
    m.row_offsets.push_back(m.nnz());
  }
  build_transpose(m);
  return out;
}

std::vector<std::int64_t> tile_positions(const UotTiledProblem& problem,
                                         const CsrMatrix& structure) {
  validate_csr(structure);
  MUSTFM_EXPECTS(structure.rows == static_cast<std::int32_t>(problem.a.size) &&
                     structure.cols == static_cast<std::int32_t>(problem.b.size),
                 "tiled UOT: a " + std::to_string(structure.rows) + " x " +
                     std::to_string(structure.cols) + " structure for " +
                     std::to_string(problem.a.size) + " x " + std::to_string(problem.b.size) +
                     " points");
  for (std::size_t t = 0; t < problem.tiles.size(); ++t) {
    const UotTile& tile = problem.tiles[t];
    MUSTFM_EXPECTS(0 <= tile.row_begin && tile.row_begin <= tile.row_end &&
                       tile.row_end <= structure.rows && 0 <= tile.col_begin &&
                       tile.col_begin <= tile.col_end && tile.col_end <= structure.cols,
                   "tiled UOT: tile " + std::to_string(t) + " " + tile_text(tile) +
                       " lies outside the structure");
  }
  const detail::TilesPrepared p = detail::tile_layout(problem);

  // Entries and tiles of a row both run by increasing column, so one walk pairs them.
  std::vector<std::int64_t> positions(static_cast<std::size_t>(structure.nnz()));
  for (std::int32_t i = 0; i < p.rows; ++i) {
    std::int64_t k = p.row_tile_offsets[i];
    for (std::int64_t e = structure.row_offsets[i]; e < structure.row_offsets[i + 1]; ++e) {
      const std::int32_t j = structure.col_indices[e];
      while (k < p.row_tile_offsets[i + 1] && problem.tiles[p.row_tiles[k]].col_end <= j) ++k;
      const bool found =
          k < p.row_tile_offsets[i + 1] && problem.tiles[p.row_tiles[k]].col_begin <= j;
      MUSTFM_EXPECTS(found, "tiled UOT: entry (" + std::to_string(i) + ", " + std::to_string(j) +
                                ") lies in no tile");
      const UotTile& tile = problem.tiles[p.row_tiles[k]];
      positions[e] = p.plan_offsets[p.row_tiles[k]] + (i - tile.row_begin) * tile.cols() +
                     (j - tile.col_begin);
    }
  }
  return positions;
}

}  // namespace mustfm
