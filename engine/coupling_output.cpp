#include "engine/coupling_output.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "io/npy.h"

namespace mustfm {

namespace {

struct Sums {
  std::vector<double> r;
  std::vector<double> c;
};

Sums sums_of(const LevelCoupling& level) {
  const CsrMatrix& m = level.structure;
  Sums s{std::vector<double>(m.rows, 0.0), std::vector<double>(m.cols, 0.0)};
  for (std::int32_t i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      s.r[i] += level.result.plan[e];
      s.c[m.col_indices[e]] += level.result.plan[e];
    }
  }
  return s;
}

std::string transition_csv(const LevelCoupling& level) {
  const CsrMatrix& m = level.structure;
  const Sums s = sums_of(level);
  std::string csv = "source,target,mass,row_fraction,column_fraction,mass_ratio\n";
  for (std::int32_t i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const double gamma = level.result.plan[e];
      if (!(gamma > 0)) continue;
      const std::int32_t j = m.col_indices[e];
      const double ratio = s.r[i] * level.b[j] / (level.a[i] * s.c[j]);
      csv += fmt::format("{},{},{},{},{},{}\n", level.source_labels[i], level.target_labels[j],
                         gamma, gamma / s.r[i], gamma / s.c[j], ratio);
    }
  }
  return csv;
}

nlohmann::json solver_report(const LevelCoupling& level, const CouplingSettings& settings) {
  const UotResult& r = level.result;
  double source_mass = 0.0;
  double target_mass = 0.0;
  for (double v : level.a) source_mass += v;
  for (double v : level.b) target_mass += v;
  nlohmann::json report = {
      {"level", level.name},
      {"solver", settings.solver},
      {"status", uot_status_name(r.status)},
      {"iterations", r.iterations},
      {"residual", r.residual},
      {"eps", r.eps},
      {"delta", settings.delta},
      {"rho", settings.rho},
      {"objective", r.objective},
      // The WFR squared distance at this level (DESIGN.md section 5).
      {"action", 2.0 * settings.delta * settings.delta * r.objective},
      {"transported_mass", r.transported_mass},
      {"unmatched_mass", r.unmatched_mass},
      {"source_mass", source_mass},
      {"target_mass", target_mass},
      {"sources", level.a.size()},
      {"targets", level.b.size()},
      {"admissible_pairs", level.structure.nnz()},
      {"structure_seconds", level.structure_seconds},
      {"solve_seconds", level.solve_seconds},
  };
  return report;
}

// The cell plan as NPY arrays, or the reason it was not written.
nlohmann::json write_cell_plan(const RunFolder& folder,
                               const std::string& stem,
                               const LevelCoupling& level,
                               const PairDistribution& pairs) {
  const CsrMatrix& m = level.structure;
  std::int64_t positive = 0;
  for (double gamma : level.result.plan) positive += gamma > 0 ? 1 : 0;
  if (positive > kMaxCellTableEntries)
    return fmt::format("not written: {} cell pairs carry mass, more than the {} written at most",
                       positive, kMaxCellTableEntries);

  std::vector<std::int64_t> source;
  std::vector<std::int64_t> target;
  std::vector<double> mass;
  for (std::int32_t i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      if (!(level.result.plan[e] > 0)) continue;
      source.push_back(pairs.source_order[i]);
      target.push_back(pairs.target_order[m.col_indices[e]]);
      mass.push_back(level.result.plan[e]);
    }
  }
  const std::size_t n = mass.size();
  write_npy(folder.file(stem + "_source.npy"), source.data(), {n});
  write_npy(folder.file(stem + "_target.npy"), target.data(), {n});
  write_npy(folder.file(stem + "_mass.npy"), mass.data(), {n});
  const auto name = [&](const char* suffix) {
    return std::filesystem::path(stem + suffix).filename().string();
  };
  return {{"source", name("_source.npy")},
          {"target", name("_target.npy")},
          {"mass", name("_mass.npy")},
          {"entries", n}};
}

}  // namespace

std::string interval_stem(const IntervalCoupling& interval) {
  return fmt::format("couplings/interval_{}_t{}-{}", interval.source, interval.source_time,
                     interval.target_time);
}

void write_couplings(const RunFolder& folder,
                     const CouplingResult& result,
                     const CouplingSettings& settings) {
  for (const IntervalCoupling& interval : result.intervals) {
    const std::string interval_name = interval_stem(interval);
    nlohmann::json levels = nlohmann::json::array();
    for (const LevelCoupling& level : interval.levels) {
      const std::string stem = interval_name + "_" + level.name;
      nlohmann::json report = solver_report(level, settings);
      if (level.is_cells) {
        report["cell_plan"] = write_cell_plan(folder, stem, level, interval.pairs);
      } else {
        folder.write_text(stem + ".csv", transition_csv(level));
        report["transition_table"] = std::filesystem::path(stem + ".csv").filename().string();
      }
      folder.write_text(stem + ".json", report.dump(2) + "\n");
      levels.push_back(std::move(report));
    }

    const PairDistribution& pairs = interval.pairs;
    nlohmann::json summary = {
        {"interval", interval.source},
        {"source_time", interval.source_time},
        {"target_time", interval.target_time},
        {"finest_level", settings.finest_level},
        {"levels", std::move(levels)},
        {"pairs",
         {{"form", pairs.lifted ? "lifted blocks" : "cell pairs"},
          {"entries", pairs.size()},
          {"sampled_source_mass", pairs.sampled_source_mass},
          {"unsampled_source_mass", pairs.unsampled_source_mass},
          {"unsampled_target_mass", pairs.unsampled_target_mass}}},
    };
    folder.write_text(interval_name + ".json", summary.dump(2) + "\n");
  }
}

}  // namespace mustfm
