#include "engine/coupling.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <utility>

#include "engine/coupling_structure.h"
#include "engine/coupling_tiles.h"
#include "kernels/common/error.h"

namespace mustfm {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A whole snapshot as one cluster: the level `independent` lifts from when the data has no
// annotation levels.
ClusterLevel whole_snapshot(const ClusterLevel& cells, std::size_t dimension) {
  ClusterLevel level;
  level.name = "snapshot";
  level.labels = {"all"};
  level.parent = {-1};
  level.offsets = {0, static_cast<std::int64_t>(cells.cluster_count())};
  level.counts = {static_cast<std::int64_t>(cells.cluster_count())};
  level.mass = {0.0};
  level.centroids.assign(dimension, 0.0);
  for (std::size_t p = 0; p < cells.cluster_count(); ++p) {
    level.mass[0] += cells.mass[p];
    for (std::size_t k = 0; k < dimension; ++k)
      level.centroids[k] += cells.mass[p] * cells.centroids[p * dimension + k];
  }
  if (level.mass[0] > 0)
    for (double& x : level.centroids) x /= level.mass[0];
  return level;
}

// How often a long solve reports its progress.
constexpr std::chrono::seconds kProgressInterval{5};

// With `tiles`, the level (the cells) is solved over them instead of on the stored costs.
void solve_level(Context& context,
                 const CouplingSettings& settings,
                 const IntervalCoupling& interval,
                 LevelCoupling& level,
                 const detail::CellTiles* tiles = nullptr) {
  UotProblem problem;
  problem.a = {level.a.data(), level.a.size()};
  problem.b = {level.b.data(), level.b.size()};
  problem.structure = &level.structure;
  problem.rho = settings.rho;
  const auto start = std::chrono::steady_clock::now();
  UotOptions options = uot_options(settings);
  // A plain progress line every few seconds of a long solve, in the log and on the terminal.
  auto last_report = start;
  options.on_check = [&](int iterations, double eps, double residual) {
    if (context.stop_requested())
      throw Interrupted(
          fmt::format("coupling interrupted in the interval t {} -> {}; rerun the "
                      "command to couple again",
                      interval.source_time, interval.target_time));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report < kProgressInterval) return;
    last_report = now;
    context.log().info(
        "coupling t {} -> {} {}: iteration {}, eps {:.3g}, residual {:.3g}, {:.0f} s",
        interval.source_time, interval.target_time, level.name, iterations, eps, residual,
        seconds_since(start));
  };
  level.result = tiles == nullptr
                     ? solve_uot(context.exec(), problem, options)
                     : detail::solve_on_cell_tiles(context.exec(), problem, *tiles, options);
  level.solve_seconds = seconds_since(start);

  const UotResult& r = level.result;
  const std::string line = fmt::format(
      "coupling t {} -> {} {}: {} x {}, {} admissible pairs, {} after {} iterations (residual "
      "{:.3g}, eps {:.3g}), objective {:.6g}, transported {:.6g}, unmatched {:.6g}, {:.3f} s",
      interval.source_time, interval.target_time, level.name, level.a.size(), level.b.size(),
      level.structure.nnz(), uot_status_name(r.status), r.iterations, r.residual, r.eps,
      r.objective, r.transported_mass, r.unmatched_mass,
      level.structure_seconds + level.solve_seconds);
  if (r.status == UotStatus::converged)
    context.log().info("{}", line);
  else
    context.log().warn("{} (raise coupling.max_iterations or coupling.eps)", line);
}

LevelCoupling make_level(const ClusterLevel& source, const ClusterLevel& target) {
  LevelCoupling level;
  level.name = source.name;
  level.is_cells = source.is_cells;
  level.a = source.mass;
  level.b = target.mass;
  level.source_labels = source.labels;
  level.target_labels = target.labels;
  return level;
}

}  // namespace

UotOptions uot_options(const CouplingSettings& settings) {
  UotOptions options;
  MUSTFM_EXPECTS(settings.solver == "sinkhorn" || settings.solver == "mm",
                 "coupling.solver must be \"sinkhorn\" or \"mm\", got \"" + settings.solver + "\"");
  options.solver = settings.solver == "mm" ? UotSolver::mm : UotSolver::sinkhorn;
  options.eps = settings.eps;
  options.eps_start = settings.eps_start;
  options.eps_decay = settings.eps_decay;
  options.tolerance = settings.tolerance;
  options.max_iterations = settings.max_iterations;
  options.check_every = settings.check_every;
  options.mm_tolerance = settings.mm_tolerance;
  return options;
}

IntervalCoupling couple_interval(Context& context,
                                 const Dataset& dataset,
                                 const Hierarchy& hierarchy,
                                 const Priors& priors,
                                 const CouplingSettings& settings,
                                 std::size_t source) {
  MUSTFM_ASSERT(source + 1 < hierarchy.snapshots.size(), "interval index out of range");
  const SnapshotHierarchy& from = hierarchy.snapshots[source];
  const SnapshotHierarchy& to = hierarchy.snapshots[source + 1];
  const std::size_t d = hierarchy.dimension;
  const std::size_t annotation_levels = from.levels.size() - 1;
  const bool independent = settings.finest_level == "independent";
  MUSTFM_EXPECTS(independent || settings.finest_level == "sparse",
                 "coupling.finest_level must be \"sparse\" or \"independent\", got \"" +
                     settings.finest_level + "\"");

  IntervalCoupling interval;
  interval.source = source;
  interval.source_time = from.time;
  interval.target_time = to.time;

  // Without annotation levels, `independent` lifts from the whole snapshots as single clusters.
  std::vector<ClusterLevel> stand_in;
  if (annotation_levels == 0 && independent) {
    stand_in.push_back(whole_snapshot(from.cells(), d));
    stand_in.push_back(whole_snapshot(to.cells(), d));
  }
  const std::size_t cluster_levels = stand_in.empty() ? annotation_levels : 1;
  const auto source_level = [&](std::size_t l) -> const ClusterLevel& {
    return stand_in.empty() ? from.levels[l] : stand_in[0];
  };
  const auto target_level = [&](std::size_t l) -> const ClusterLevel& {
    return stand_in.empty() ? to.levels[l] : stand_in[1];
  };

  for (std::size_t l = 0; l < cluster_levels; ++l) {
    const ClusterLevel& s = source_level(l);
    const ClusterLevel& t = target_level(l);
    const LevelPrior* prior = stand_in.empty() ? &priors.levels.at(l) : nullptr;
    LevelCoupling level = make_level(s, t);
    const auto start = std::chrono::steady_clock::now();
    if (l == 0) {
      level.structure = detail::first_level_structure(s, t, d, settings.delta, prior);
    } else {
      const LevelCoupling& parent = interval.levels.back();
      level.structure =
          detail::child_level_structure(parent.structure, parent.result.plan, parent.a, s, t, d,
                                        settings.delta, prior, settings.eta);
    }
    level.structure_seconds = seconds_since(start);
    solve_level(context, settings, interval, level);
    interval.levels.push_back(std::move(level));
  }

  const Snapshot& source_snapshot = dataset.snapshots[source];
  const Snapshot& target_snapshot = dataset.snapshots[source + 1];
  if (independent) {
    const LevelCoupling& finest = interval.levels.back();
    interval.pairs =
        lifted_pair_distribution(context.exec(), finest.structure, finest.result.plan,
                                 source_level(cluster_levels - 1), target_level(cluster_levels - 1),
                                 from.cells(), to.cells(), source_snapshot, target_snapshot);
    return interval;
  }

  LevelCoupling cells = make_level(from.cells(), to.cells());
  const auto start = std::chrono::steady_clock::now();
  const LevelCoupling* parent = interval.levels.empty() ? nullptr : &interval.levels.back();
  cells.structure = detail::cell_level_structure(
      parent ? &parent->structure : nullptr, parent ? &parent->result.plan : nullptr, from.cells(),
      to.cells(), parent ? &to.levels[annotation_levels - 1] : nullptr, d, settings.delta,
      settings.eta_block);
  cells.structure_seconds = seconds_since(start);
  const std::optional<detail::CellTiles> tiles = detail::cell_level_tiles(
      context.exec(), settings, parent ? &parent->structure : nullptr,
      parent ? &parent->result.plan : nullptr,
      parent ? &from.levels[annotation_levels - 1] : nullptr,
      parent ? &to.levels[annotation_levels - 1] : nullptr, from.cells(), to.cells(), d);
  solve_level(context, settings, interval, cells, tiles ? &*tiles : nullptr);
  interval.pairs = cell_pair_distribution(context.exec(), cells.structure, cells.result.plan,
                                          cells.a, cells.b, source_snapshot, target_snapshot);
  interval.levels.push_back(std::move(cells));
  return interval;
}

CouplingResult couple_snapshots(Context& context,
                                const Dataset& dataset,
                                const Hierarchy& hierarchy,
                                const Priors& priors,
                                const CouplingSettings& settings) {
  CouplingResult result;
  for (std::size_t k = 0; k + 1 < hierarchy.snapshots.size(); ++k)
    result.intervals.push_back(couple_interval(context, dataset, hierarchy, priors, settings, k));
  return result;
}

}  // namespace mustfm
