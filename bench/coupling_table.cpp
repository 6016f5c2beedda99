// The coupling-quality table of the built-in multiscale benchmark (DESIGN.md section 8, paper
// table 1): for each method, the objective gap to the ground-truth coupling, the fraction of
// coupled mass on the true cell pair, on the true fine-cluster pair and on the true coarse pair,
// and the wall time. Methods: balanced exact OT (LEMON) on a subsample, mini-batch OT (LEMON),
// and the engine's `sparse` and `independent` finest levels through couple_interval.
//
// Objective: the UOT objective of DESIGN.md section 5 over cells, sum gamma C + rho KL(gamma 1 |
// a) + rho KL(gamma^T 1 | b), with C the WFR cost of length scale delta and every cell of mass
// 1. The true plan puts mass 1 on every (cell, its image) pair, so its objective is the sum of
// the true pairs' costs. gap = (objective - true objective) / true objective. Balanced plans are
// evaluated with the same objective (their KL terms vanish).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/coupling_table.h"
#include "engine/context.h"
#include "engine/coupling.h"
#include "engine/hierarchy.h"
#include "engine/priors.h"
#include "engine/snapshots.h"
#include "engine/synthetic.h"
#include "kernels/csr.h"
#include "kernels/uot_solver.h"
#include "kernels/wfr_cost.h"

namespace mustfm {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  SyntheticSettings synthetic;
  CouplingSettings coupling;
  std::string device = "cpu";
  int threads = 0;
  int exact_cells = 2000;
  int batch_size = 512;
  int repeats = 3;
  bool skip_lemon = false;
  bool skip_sparse = false;
  bool dense_mm = false;
  std::string json_path;
};

struct Row {
  std::string method;
  std::string detail;
  std::int64_t pairs_scored = 0;
  double objective = 0.0;
  double true_objective = 0.0;
  double transported = 0.0;
  double on_true_pair = 0.0;
  double on_fine_pair = 0.0;
  double on_coarse_pair = 0.0;
  double seconds = 0.0;
};

// The benchmark as the engine sees it, plus per cell of snapshot 1 its true partner in
// snapshot 0 (snapshot-local indices) and per cell its fine and coarse dataset-wide ids.
struct Bench {
  Dataset dataset;
  Hierarchy hierarchy;
  Priors priors;
  std::vector<std::int32_t> partner;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const double* cell_x(const Snapshot& s, std::int64_t i, std::size_t dim) {
  return &s.features[std::size_t(i) * dim];
}

double kl_term(double p, double q) {
  return (p > 0.0 ? p * std::log(p / q) : 0.0) - p + q;
}

Bench make_bench(Context& context, const Options& options) {
  SyntheticData data = generate_multiscale_data(options.synthetic, false);
  Bench bench;
  DataSettings data_settings;
  bench.dataset = build_dataset(data.table, data_settings);
  bench.priors = build_priors(bench.dataset, data_settings);
  bench.hierarchy = build_hierarchy(context, bench.dataset);

  const Snapshot& s0 = bench.dataset.snapshots[0];
  const Snapshot& s1 = bench.dataset.snapshots[1];
  std::vector<std::int32_t> cell_of_row(data.table.cell_count, -1);
  for (std::size_t i = 0; i < s0.cell_count; ++i) cell_of_row[s0.table_rows[i]] = std::int32_t(i);
  bench.partner.assign(s1.cell_count, -1);
  for (std::size_t j = 0; j < s1.cell_count; ++j) {
    const std::int64_t row = s1.table_rows[j] - std::int64_t(data.snapshot0_cells);
    const std::int64_t source_row = data.true_partner[row];
    if (source_row >= 0) bench.partner[j] = cell_of_row[source_row];
  }
  return bench;
}

// Sum of the true pairs' costs over the given targets (all when `targets` is empty).
double true_objective(const Bench& bench, double delta, const std::vector<std::int32_t>& targets) {
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const Snapshot& s1 = bench.dataset.snapshots[1];
  const std::size_t dim = bench.dataset.dimension;
  double sum = 0.0;
  auto add = [&](std::int32_t j) {
    sum += wfr_cost(cell_x(s0, bench.partner[j], dim), cell_x(s1, j, dim), int(dim), delta);
  };
  if (targets.empty()) {
    for (std::size_t j = 0; j < s1.cell_count; ++j) add(std::int32_t(j));
  } else {
    for (std::int32_t j : targets) add(j);
  }
  return sum;
}

// Scores a unit-mass assignment (source cells -> target cells, snapshot-local indices).
void score_assignment(const Bench& bench,
                      double delta,
                      const std::vector<std::int32_t>& sources,
                      const std::vector<std::int32_t>& targets,
                      Row& row) {
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const Snapshot& s1 = bench.dataset.snapshots[1];
  const std::size_t dim = bench.dataset.dimension;
  const std::size_t fine = bench.dataset.annotation_levels() - 1;
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const std::int32_t i = sources[k];
    const std::int32_t j = targets[k];
    if (j < 0) {
      row.objective = std::numeric_limits<double>::infinity();
      continue;
    }
    row.objective += wfr_cost(cell_x(s0, i, dim), cell_x(s1, j, dim), int(dim), delta);
    row.transported += 1.0;
    row.on_true_pair += bench.partner[j] == i;
    row.on_fine_pair += s0.cluster_ids[fine][i] == s1.cluster_ids[fine][j];
    row.on_coarse_pair += s0.cluster_ids[0][i] == s1.cluster_ids[0][j];
  }
  row.pairs_scored = std::int64_t(sources.size());
}

// The images of the given sources, in the same order.
std::vector<std::int32_t> images_of(const Bench& bench, const std::vector<std::int32_t>& sources) {
  std::vector<std::int32_t> image_of(bench.dataset.snapshots[0].cell_count, -1);
  for (std::size_t j = 0; j < bench.partner.size(); ++j) {
    if (bench.partner[j] >= 0) image_of[bench.partner[j]] = std::int32_t(j);
  }
  std::vector<std::int32_t> images;
  for (std::int32_t i : sources) images.push_back(image_of[i]);
  return images;
}

std::vector<double> gather(const Snapshot& s, const std::vector<std::int32_t>& cells, int dim) {
  std::vector<double> x;
  for (std::int32_t c : cells) x.insert(x.end(), cell_x(s, c, dim), cell_x(s, c, dim) + dim);
  return x;
}

// Exact balanced OT between `n` random source cells and their images (so the true plan is
// known on the subsample).
Row exact_row(const Bench& bench, const Options& options) {
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const int dim = int(bench.dataset.dimension);
  std::vector<std::int32_t> all(s0.cell_count);
  std::iota(all.begin(), all.end(), 0);
  std::mt19937_64 rng(11);
  std::shuffle(all.begin(), all.end(), rng);
  const std::size_t n = std::min<std::size_t>(options.exact_cells, all.size());
  std::vector<std::int32_t> sources(all.begin(), all.begin() + std::int64_t(n));
  std::vector<std::int32_t> images = images_of(bench, sources);

  Row row;
  row.method = "exact OT (LEMON)";
  row.detail = "subsample " + std::to_string(n) + " cells + images";
  const auto start = Clock::now();
  const std::vector<std::int32_t> local =
      exact_assignment(gather(s0, sources, dim), gather(bench.dataset.snapshots[1], images, dim),
                       dim, options.coupling.delta);
  row.seconds = seconds_since(start);
  std::vector<std::int32_t> targets;
  for (std::int32_t k : local) targets.push_back(k < 0 ? -1 : images[k]);
  score_assignment(bench, options.coupling.delta, sources, targets, row);
  row.true_objective = true_objective(bench, options.coupling.delta, images);
  return row;
}

// The engine's mm solver on the dense problem of the exact-OT subsample, the problem that
// bench/pot_mm_reference.py hands to POT's mm_unbalanced (every pair below the cut-off stored).
Row dense_mm_row(Context& context, const Bench& bench, const Options& options) {
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const int dim = int(bench.dataset.dimension);
  std::vector<std::int32_t> all(s0.cell_count);
  std::iota(all.begin(), all.end(), 0);
  std::mt19937_64 rng(11);
  std::shuffle(all.begin(), all.end(), rng);
  const std::size_t n = std::min<std::size_t>(options.exact_cells, all.size());
  std::vector<std::int32_t> sources(all.begin(), all.begin() + std::int64_t(n));
  std::vector<std::int32_t> images = images_of(bench, sources);
  const std::vector<double> x = gather(s0, sources, dim);
  const std::vector<double> y = gather(bench.dataset.snapshots[1], images, dim);
  const CsrMatrix structure =
      csr_from_points({x.data(), x.size()}, {y.data(), y.size()}, dim, options.coupling.delta);
  const std::vector<double> ones(n, 1.0);

  UotProblem problem;
  problem.a = {ones.data(), ones.size()};
  problem.b = {ones.data(), ones.size()};
  problem.structure = &structure;
  problem.rho = options.coupling.rho;
  UotOptions uot = uot_options(options.coupling);
  uot.solver = UotSolver::mm;
  uot.max_iterations = 1000;

  Row row;
  row.method = std::string("dense mm (") + backend_name(context.backend()) + ")";
  const auto start = Clock::now();
  const UotResult result = solve_uot(context.exec(), problem, uot);
  row.seconds = seconds_since(start);
  row.detail = "subsample " + std::to_string(n) + " cells + images, nnz " +
               std::to_string(structure.nnz()) + ", " + std::to_string(result.iterations) +
               " iterations, " + uot_status_name(result.status);
  for (std::int32_t p = 0; p < structure.rows; ++p) {
    for (std::int64_t k = structure.row_offsets[p]; k < structure.row_offsets[p + 1]; ++k) {
      const std::int32_t i = sources[p];
      const std::int32_t j = images[structure.col_indices[k]];
      row.transported += result.plan[k];
      if (bench.partner[j] == i) row.on_true_pair += result.plan[k];
      const std::size_t fine = bench.dataset.annotation_levels() - 1;
      if (s0.cluster_ids[fine][i] == bench.dataset.snapshots[1].cluster_ids[fine][j])
        row.on_fine_pair += result.plan[k];
      if (s0.cluster_ids[0][i] == bench.dataset.snapshots[1].cluster_ids[0][j])
        row.on_coarse_pair += result.plan[k];
    }
  }
  row.objective = result.objective;
  row.pairs_scored = structure.nnz();
  row.true_objective = true_objective(bench, options.coupling.delta, images);
  return row;
}

// Mini-batch OT over all cells: both snapshots shuffled independently, cut into batches of equal
// size (the last one smaller), exact OT per batch; the plan is the union of the batch plans.
Row minibatch_row(const Bench& bench, const Options& options) {
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const Snapshot& s1 = bench.dataset.snapshots[1];
  const int dim = int(bench.dataset.dimension);
  std::vector<std::int32_t> src(s0.cell_count), tgt(s1.cell_count);
  std::iota(src.begin(), src.end(), 0);
  std::iota(tgt.begin(), tgt.end(), 0);
  std::mt19937_64 rng(13);
  std::shuffle(src.begin(), src.end(), rng);
  std::shuffle(tgt.begin(), tgt.end(), rng);
  const std::size_t n = std::min(src.size(), tgt.size());
  const std::size_t m = std::size_t(options.batch_size);

  Row row;
  row.method = "mini-batch OT (LEMON)";
  row.detail = "batch " + std::to_string(m) + ", " + std::to_string((n + m - 1) / m) + " batches";
  std::vector<std::int32_t> sources, targets;
  const auto start = Clock::now();
  for (std::size_t begin = 0; begin < n; begin += m) {
    const std::size_t end = std::min(n, begin + m);
    std::vector<std::int32_t> bs(src.begin() + begin, src.begin() + end);
    std::vector<std::int32_t> bt(tgt.begin() + begin, tgt.begin() + end);
    const std::vector<std::int32_t> local =
        exact_assignment(gather(s0, bs, dim), gather(s1, bt, dim), dim, options.coupling.delta);
    for (std::size_t k = 0; k < bs.size(); ++k) {
      sources.push_back(bs[k]);
      targets.push_back(local[k] < 0 ? -1 : bt[local[k]]);
    }
  }
  row.seconds = seconds_since(start);
  score_assignment(bench, options.coupling.delta, sources, targets, row);
  row.true_objective = true_objective(bench, options.coupling.delta, {});
  return row;
}

// Runs couple_interval `repeats` times and keeps the last result with the median time.
IntervalCoupling timed_coupling(Context& context,
                                const Bench& bench,
                                const CouplingSettings& settings,
                                int repeats,
                                double& seconds) {
  std::vector<double> times;
  IntervalCoupling interval;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    interval = couple_interval(context, bench.dataset, bench.hierarchy, bench.priors, settings, 0);
    context.synchronize();
    times.push_back(seconds_since(start));
  }
  seconds = median(times);
  return interval;
}

std::vector<std::int64_t> inverse(const std::vector<std::int64_t>& order) {
  std::vector<std::int64_t> position(order.size());
  for (std::size_t p = 0; p < order.size(); ++p) position[order[p]] = std::int64_t(p);
  return position;
}

// `sparse`: the cell-level plan, rows and columns in the snapshots' sorted order.
Row sparse_row(Context& context, const Bench& bench, const Options& options) {
  CouplingSettings settings = options.coupling;
  settings.finest_level = "sparse";
  Row row;
  row.method = "sparse (" + settings.solver + ", " + backend_name(context.backend()) + ")";
  const IntervalCoupling interval =
      timed_coupling(context, bench, settings, options.repeats, row.seconds);
  const LevelCoupling& cells = interval.levels.back();
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const Snapshot& s1 = bench.dataset.snapshots[1];
  const std::size_t fine = bench.dataset.annotation_levels() - 1;
  row.detail = "cell-level nnz " + std::to_string(cells.structure.nnz()) + ", status " +
               uot_status_name(cells.result.status) + ", " +
               std::to_string(cells.result.iterations) + " iterations";
  for (std::int32_t p = 0; p < cells.structure.rows; ++p) {
    const std::int64_t i = s0.sorted_order[p];
    for (std::int64_t k = cells.structure.row_offsets[p]; k < cells.structure.row_offsets[p + 1];
         ++k) {
      const std::int64_t j = s1.sorted_order[cells.structure.col_indices[k]];
      const double mass = cells.result.plan[k];
      row.transported += mass;
      if (bench.partner[j] == i) row.on_true_pair += mass;
      if (s0.cluster_ids[fine][i] == s1.cluster_ids[fine][j]) row.on_fine_pair += mass;
      if (s0.cluster_ids[0][i] == s1.cluster_ids[0][j]) row.on_coarse_pair += mass;
    }
  }
  row.objective = cells.result.objective;
  row.pairs_scored = cells.structure.nnz();
  row.true_objective = true_objective(bench, settings.delta, {});
  return row;
}

// `independent`: the finest annotation plan lifted to cells, gamma_ij = gamma_IJ (w_i / a_I)
// (w_j / b_J). Its objective is the block plan's KL terms (lifting keeps them) plus, per block,
// gamma_IJ times the weighted mean cell cost of the block.
Row independent_row(Context& context, const Bench& bench, const Options& options) {
  CouplingSettings settings = options.coupling;
  settings.finest_level = "independent";
  Row row;
  row.method = "independent (" + settings.solver + ", " + backend_name(context.backend()) + ")";
  const IntervalCoupling interval =
      timed_coupling(context, bench, settings, options.repeats, row.seconds);
  const LevelCoupling& level = interval.levels.back();
  const std::size_t L = bench.dataset.annotation_levels();
  const ClusterLevel& fine0 = bench.hierarchy.snapshots[0].levels[L - 1];
  const ClusterLevel& fine1 = bench.hierarchy.snapshots[1].levels[L - 1];
  const ClusterLevel& coarse0 = bench.hierarchy.snapshots[0].levels[0];
  const ClusterLevel& coarse1 = bench.hierarchy.snapshots[1].levels[0];
  const ClusterLevel& cells0 = bench.hierarchy.snapshots[0].cells();
  const ClusterLevel& cells1 = bench.hierarchy.snapshots[1].cells();
  const CsrMatrix& m = level.structure;
  const int dim = int(bench.hierarchy.dimension);
  row.detail = "fine-level nnz " + std::to_string(m.nnz()) + ", status " +
               uot_status_name(level.result.status);

  std::vector<double> block(std::size_t(m.rows) * m.cols, 0.0), r(m.rows, 0.0), c(m.cols, 0.0);
  double transport_cost = 0.0;
  for (std::int32_t I = 0; I < m.rows; ++I) {
    for (std::int64_t k = m.row_offsets[I]; k < m.row_offsets[I + 1]; ++k) {
      const std::int32_t J = m.col_indices[k];
      const double g = level.result.plan[k];
      block[std::size_t(I) * m.cols + J] = g;
      r[I] += g;
      c[J] += g;
      row.transported += g;
      if (fine0.ids[I] == fine1.ids[J]) row.on_fine_pair += g;
      if (coarse0.ids[fine0.parent[I]] == coarse1.ids[fine1.parent[J]]) row.on_coarse_pair += g;
      if (g <= 0.0) continue;
      double mean_cost = 0.0;
#pragma omp parallel for reduction(+ : mean_cost) schedule(static)
      for (std::int64_t p = fine0.offsets[I]; p < fine0.offsets[I + 1]; ++p) {
        for (std::int64_t q = fine1.offsets[J]; q < fine1.offsets[J + 1]; ++q) {
          mean_cost +=
              cells0.mass[p] * cells1.mass[q] *
              wfr_cost(&cells0.centroids[p * dim], &cells1.centroids[q * dim], dim, settings.delta);
        }
      }
      transport_cost += g * mean_cost / (level.a[I] * level.b[J]);
    }
  }
  double kl = 0.0;
  for (std::int32_t I = 0; I < m.rows; ++I) kl += kl_term(r[I], level.a[I]);
  for (std::int32_t J = 0; J < m.cols; ++J) kl += kl_term(c[J], level.b[J]);
  row.objective = transport_cost + settings.rho * kl;

  // Mass on true cell pairs: gamma_IJ w_i w_j / (a_I b_J) summed over (cell, image).
  const Snapshot& s0 = bench.dataset.snapshots[0];
  const Snapshot& s1 = bench.dataset.snapshots[1];
  const std::vector<std::int64_t> pos0 = inverse(s0.sorted_order);
  const std::vector<std::int64_t> pos1 = inverse(s1.sorted_order);
  for (std::size_t j = 0; j < s1.cell_count; ++j) {
    if (bench.partner[j] < 0) continue;
    const std::int64_t p = pos0[bench.partner[j]];
    const std::int64_t q = pos1[j];
    const std::int32_t I = cells0.parent[p];
    const std::int32_t J = cells1.parent[q];
    row.on_true_pair += block[std::size_t(I) * m.cols + J] * cells0.mass[p] * cells1.mass[q] /
                        (level.a[I] * level.b[J]);
  }
  row.pairs_scored = m.nnz();
  row.true_objective = true_objective(bench, settings.delta, {});
  return row;
}

double fraction(double part, double whole) {
  return whole > 0.0 ? part / whole : 0.0;
}

nlohmann::json row_json(const Row& row) {
  const double gap = (row.objective - row.true_objective) / row.true_objective;
  return {{"method", row.method},
          {"detail", row.detail},
          {"pairs_or_entries", row.pairs_scored},
          {"objective", row.objective},
          {"true_objective", row.true_objective},
          {"objective_gap", gap},
          {"transported_mass", row.transported},
          {"true_pair", fraction(row.on_true_pair, row.transported)},
          {"true_fine_pair", fraction(row.on_fine_pair, row.transported)},
          {"true_coarse_pair", fraction(row.on_coarse_pair, row.transported)},
          {"seconds", row.seconds}};
}

void print_row(const nlohmann::json& j) {
  std::printf("%-28s %10.4g %11.1f %9.4f %9.4f %9.4f %9.4f\n  (%s)\n",
              j["method"].get<std::string>().c_str(), j["objective_gap"].get<double>(),
              j["transported_mass"].get<double>(), j["true_pair"].get<double>(),
              j["true_fine_pair"].get<double>(), j["true_coarse_pair"].get<double>(),
              j["seconds"].get<double>(), j["detail"].get<std::string>().c_str());
}

// "--name value" options; an unknown option or a missing value is a readable error.
Options parse_options(int argc, char** argv) {
  Options o;
  o.coupling.delta = 5.0;
  for (int k = 1; k < argc; ++k) {
    const std::string key = argv[k];
    if (key == "--skip-lemon" || key == "--skip-sparse" || key == "--dense-mm") {
      (key == "--skip-lemon" ? o.skip_lemon
       : key == "--dense-mm" ? o.dense_mm
                             : o.skip_sparse) = true;
      continue;
    }
    if (k + 1 >= argc) throw std::runtime_error(key + " needs a value");
    const std::string v = argv[++k];
    if (key == "--cells-per-cluster")
      o.synthetic.cells_per_cluster = std::stoi(v);
    else if (key == "--translation")
      o.synthetic.translation = std::stod(v);
    else if (key == "--fine-spacing")
      o.synthetic.fine_spacing = std::stod(v);
    else if (key == "--delta")
      o.coupling.delta = std::stod(v);
    else if (key == "--rho")
      o.coupling.rho = std::stod(v);
    else if (key == "--eps")
      o.coupling.eps = std::stod(v);
    else if (key == "--solver")
      o.coupling.solver = v;
    else if (key == "--max-iterations")
      o.coupling.max_iterations = std::stoi(v);
    else if (key == "--device")
      o.device = v;
    else if (key == "--threads")
      o.threads = std::stoi(v);
    else if (key == "--exact-cells")
      o.exact_cells = std::stoi(v);
    else if (key == "--batch-size")
      o.batch_size = std::stoi(v);
    else if (key == "--repeats")
      o.repeats = std::max(1, std::stoi(v));
    else if (key == "--json")
      o.json_path = v;
    else
      throw std::runtime_error("unknown option " + key);
  }
  return o;
}

int run(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  ContextOptions context_options;
  context_options.device = options.device;
  context_options.cpu_threads = options.threads;
  context_options.log_level = "warn";
  Context context(context_options);
  const Bench bench = make_bench(context, options);

  std::vector<Row> rows;
  if (!options.skip_lemon) {
    rows.push_back(exact_row(bench, options));
    rows.push_back(minibatch_row(bench, options));
  }
  if (options.dense_mm) rows.push_back(dense_mm_row(context, bench, options));
  if (!options.skip_sparse) rows.push_back(sparse_row(context, bench, options));
  rows.push_back(independent_row(context, bench, options));

  const SyntheticSettings& syn = options.synthetic;
  const CouplingSettings& cs = options.coupling;
  nlohmann::json out;
  out["machine"] = {{"backend", context.describe()},
                    {"hardware_threads", std::thread::hardware_concurrency()}};
  out["data"] = {{"cells_per_cluster", syn.cells_per_cluster},
                 {"cells_per_snapshot", bench.dataset.snapshots[0].cell_count},
                 {"coarse_spacing", syn.coarse_spacing},
                 {"fine_spacing", syn.fine_spacing},
                 {"noise", syn.noise},
                 {"translation", syn.translation},
                 {"seed", syn.seed}};
  out["coupling"] = {{"delta", cs.delta},
                     {"rho", cs.rho},
                     {"solver", cs.solver},
                     {"eps", cs.eps},
                     {"eps_start", cs.eps_start},
                     {"eps_decay", cs.eps_decay},
                     {"tolerance", cs.tolerance},
                     {"max_iterations", cs.max_iterations},
                     {"eta", cs.eta},
                     {"eta_block", cs.eta_block}};
  out["lemon"] = {{"cost", "WFR"},
                  {"exact_subsample_cells", options.exact_cells},
                  {"batch_size", options.batch_size}};
  out["engine_repeats"] = options.repeats;
  out["rows"] = nlohmann::json::array();
  for (const Row& row : rows) out["rows"].push_back(row_json(row));

  std::printf("%s, %zu cells per snapshot, delta %g, rho %g, eps %g, %s\n",
              context.describe().c_str(), bench.dataset.snapshots[0].cell_count, cs.delta, cs.rho,
              cs.eps, cs.solver.c_str());
  std::printf("%-28s %10s %11s %9s %9s %9s %9s\n", "method", "obj gap", "mass", "pair", "fine",
              "coarse", "seconds");
  for (const auto& j : out["rows"]) print_row(j);
  if (!options.json_path.empty()) std::ofstream(options.json_path) << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace mustfm

int main(int argc, char** argv) {
  try {
    return mustfm::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mustfm-coupling-table: %s\n", e.what());
    return 1;
  }
}
