// The job file's typed settings. A job is JSON (comments allowed) parsed once into these structs;
// every key except data.path has the default written here, documented in docs/job-file.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/cell_table.h"

namespace mustfm {

// The built-in multiscale benchmark (data.path "builtin:multiscale" or
// "builtin:multiscale-growth"): 3 coarse clusters stacked vertically, each of 9 fine clusters on
// a 3x3 grid, isotropic Gaussian cells, second snapshot = first translated along x.
struct SyntheticSettings {
  int cells_per_cluster = 1000;
  double coarse_spacing = 6.0;
  double fine_spacing = 1.5;
  double noise = 0.2;
  double translation = 4.0;
  double time_step = 1.0;
  std::uint64_t seed = 7;
};

// An admissible (source label -> target label) pair at one annotation level.
struct PriorPair {
  int level = 0;
  std::string source;
  std::string target;
};

struct PopulationSize {
  double time = 0.0;
  double size = 0.0;
};

struct DataSettings {
  // A CSV table, an NPY embedding, or "builtin:multiscale" / "builtin:multiscale-growth".
  // Relative paths resolve against the job file's folder.
  std::string path;
  // "auto" (by extension or builtin: scheme), "csv" or "npy".
  std::string format = "auto";
  // For "npy": the CSV holding time, labels, priors and weights, one row per embedding row.
  std::string labels_path;
  TableColumns columns;
  // Explicit admissible label pairs; when empty, prior columns (if any) define the priors.
  std::vector<PriorPair> prior_pairs;
  // Per-time-point population sizes; each listed snapshot's weights are rescaled to sum to size.
  std::vector<PopulationSize> population_sizes;
  SyntheticSettings synthetic;
};

struct CouplingSettings {
  double delta = 1.0;
  double rho = 1.0;
  // "sinkhorn" (log-domain entropic, eps-scaling) or "mm" (the reference's multiplicative update).
  std::string solver = "sinkhorn";
  double eps = 1e-3;
  double eps_start = 1.0;
  double eps_decay = 0.5;
  double tolerance = 1e-6;
  int max_iterations = 20000;
  int check_every = 10;
  double mm_tolerance = 1e-9;
  // Hierarchical-mask threshold between levels, and the block threshold at the cell level.
  double eta = 1e-8;
  double eta_block = 1e-8;
  // "sparse" (solve over cells inside admissible blocks) or "independent" (lift the blocks).
  std::string finest_level = "sparse";
};

struct ModelSettings {
  std::vector<int> velocity_hidden = {256, 256, 256, 256, 256};
  std::vector<int> growth_hidden = {256, 256, 256};
  double leaky_relu_slope = 0.01;
};

struct TrainingSettings {
  int steps = 3000;
  // Pairs drawn from every interval per step.
  int batch_size = 256;
  double learning_rate = 5e-3;
  double final_learning_rate = 1e-5;
  double ema_decay = 0.995;
  int checkpoint_every = 500;
  int log_every = 100;
};

struct PredictionSettings {
  // Snapshot time to start from; NaN (JSON null) means the first snapshot.
  double start_time = std::numeric_limits<double>::quiet_NaN();
  // Times to predict at; empty means every observed time.
  std::vector<double> times;
  double rtol = 1e-7;
  double atol = 1e-9;
  int trajectory_particles = 200;
  int trajectory_points = 101;
};

struct EvaluationSettings {
  int max_points = 5000;
  std::uint64_t seed = 0;
  // Snapshot times left out of training and scored on their prediction.
  std::vector<double> leave_out;
};

struct OutputSettings {
  // Relative paths resolve against the current working directory.
  std::string dir = "mustfm-run";
  // Rerun stages whose outputs exist for the same resolved settings.
  bool force = false;
  std::string log_level = "info";
};

struct BackendSettings {
  std::string device = "auto";
  int device_index = 0;
  int threads = 0;
};

struct Job {
  // The job file this came from (empty for jobs built in code); relative data paths resolve
  // against its folder.
  std::filesystem::path job_file;
  std::uint64_t seed = 0;
  DataSettings data;
  CouplingSettings coupling;
  ModelSettings model;
  TrainingSettings training;
  PredictionSettings prediction;
  EvaluationSettings evaluation;
  OutputSettings output;
  BackendSettings backend;
};

}  // namespace mustfm
