#include "io/job_keys.h"

#include "io/job_key_builders.h"

namespace mustfm::detail {

// The JSON path and the accessor of one Job member, written once: MUSTFM_JOB_MEMBER(coupling.delta)
// gives "coupling.delta" and [](auto& job) -> auto& { return job.coupling.delta; }.
#define MUSTFM_JOB_MEMBER(member)   \
#member, [](auto& job) -> auto& { \
    return job.member;              \
  }

namespace {

JobKey required(JobKey key) {
  key.required = true;
  return key;
}

std::vector<JobKey> make_job_keys() {
  const Empty allowed = Empty::allowed;
  const Empty rejected = Empty::rejected;
  std::vector<JobKey> keys = {
      seed_key(MUSTFM_JOB_MEMBER(seed),
               "Seed of training-pair sampling and network initialization"),

      required(string_key(MUSTFM_JOB_MEMBER(data.path), rejected,
                          "Cell table (.csv), embedding (.npy), or `builtin:multiscale` / "
                          "`builtin:multiscale-growth`; relative to the job file's folder")),
      choice_key(MUSTFM_JOB_MEMBER(data.format), {"auto", "csv", "npy"},
                 "How to read data.path; `auto` decides by extension or `builtin:` scheme"),
      string_key(MUSTFM_JOB_MEMBER(data.labels_path), allowed,
                 "For `npy`: CSV with time, labels, priors and weights, one row per embedding "
                 "row; relative to the job file's folder"),
      string_key(MUSTFM_JOB_MEMBER(data.columns.time_column), rejected,
                 "Column holding each cell's time value"),
      columns_key(MUSTFM_JOB_MEMBER(data.columns.feature_columns),
                  "Feature columns in order; empty: feature_prefix followed by 1, 2, ..."),
      string_key(MUSTFM_JOB_MEMBER(data.columns.feature_prefix), rejected,
                 "Prefix of the feature columns when feature_columns is empty"),
      columns_key(MUSTFM_JOB_MEMBER(data.columns.level_columns),
                  "Annotation-label columns, coarsest first; empty: level_prefix followed by "
                  "0, 1, ..."),
      string_key(MUSTFM_JOB_MEMBER(data.columns.level_prefix), rejected,
                 "Prefix of the annotation columns when level_columns is empty"),
      columns_key(MUSTFM_JOB_MEMBER(data.columns.prior_columns),
                  "Transition-prior label columns, one per level; empty: prior_prefix followed "
                  "by 0, 1, ..."),
      string_key(MUSTFM_JOB_MEMBER(data.columns.prior_prefix), rejected,
                 "Prefix of the prior columns when prior_columns is empty"),
      string_key(MUSTFM_JOB_MEMBER(data.columns.weight_column), allowed,
                 "Per-cell weight column; every weight is 1 when the column is absent"),
      prior_pairs_key("Admissible label pairs as {\"level\", \"source\", \"target\"}, level 0 "
                      "the coarsest annotation; when empty, prior columns define the priors"),
      population_sizes_key("Population size per time point as {\"time\", \"size\"}; that "
                           "snapshot's weights are rescaled to sum to size"),
      integer_key(MUSTFM_JOB_MEMBER(data.synthetic.cells_per_cluster), kAtLeastOne,
                  "Built-in dataset: cells per fine cluster and snapshot"),
      number_key(MUSTFM_JOB_MEMBER(data.synthetic.coarse_spacing), kPositive,
                 "Built-in dataset: distance between the coarse clusters"),
      number_key(MUSTFM_JOB_MEMBER(data.synthetic.fine_spacing), kPositive,
                 "Built-in dataset: distance between neighbouring fine clusters"),
      number_key(MUSTFM_JOB_MEMBER(data.synthetic.noise), kNonNegative,
                 "Built-in dataset: standard deviation of the Gaussian cells"),
      number_key(MUSTFM_JOB_MEMBER(data.synthetic.translation), kAny,
                 "Built-in dataset: shift along x from the first snapshot to the second"),
      number_key(MUSTFM_JOB_MEMBER(data.synthetic.time_step), kPositive,
                 "Built-in dataset: time between the two snapshots"),
      seed_key(MUSTFM_JOB_MEMBER(data.synthetic.seed), "Built-in dataset: seed of its cells"),

      number_key(MUSTFM_JOB_MEMBER(coupling.delta), kPositive,
                 "WFR length scale; cells farther apart than pi * delta are never coupled"),
      number_key(MUSTFM_JOB_MEMBER(coupling.rho), kPositive,
                 "Weight of the marginal penalties (1 gives the WFR geometry)"),
      choice_key(MUSTFM_JOB_MEMBER(coupling.solver), {"sinkhorn", "mm"},
                 "`sinkhorn`: log-domain entropic with eps-scaling; `mm`: the reference "
                 "implementation's multiplicative update"),
      number_key(MUSTFM_JOB_MEMBER(coupling.eps), kPositive,
                 "Sinkhorn: target entropic regularization"),
      number_key(MUSTFM_JOB_MEMBER(coupling.eps_start), kPositive,
                 "Sinkhorn: first eps of the eps-scaling schedule; >= eps"),
      number_key(MUSTFM_JOB_MEMBER(coupling.eps_decay), kOpenUnit,
                 "Sinkhorn: factor applied to eps from one eps-scaling stage to the next"),
      number_key(MUSTFM_JOB_MEMBER(coupling.tolerance), kPositive,
                 "Sinkhorn: stops when its residual falls below this"),
      integer_key(MUSTFM_JOB_MEMBER(coupling.max_iterations), kAtLeastOne,
                  "Iteration limit of one solve (eps-scaling stages together); Sinkhorn at eps "
                  "1e-3 needs about 5000"),
      integer_key(MUSTFM_JOB_MEMBER(coupling.check_every), kAtLeastOne,
                  "Iterations between convergence checks"),
      number_key(MUSTFM_JOB_MEMBER(coupling.mm_tolerance), kPositive,
                 "mm: stops when the Frobenius change of the plan falls below this"),
      number_key(MUSTFM_JOB_MEMBER(coupling.eta), kNonNegative,
                 "Hierarchical mask: a child pair stays admissible when its parents' plan entry "
                 "divided by the source parent's mass is >= eta"),
      number_key(MUSTFM_JOB_MEMBER(coupling.eta_block), kNonNegative,
                 "Cell level: only cell pairs inside parent blocks whose plan entry exceeds this "
                 "are considered"),
      choice_key(MUSTFM_JOB_MEMBER(coupling.finest_level), {"sparse", "independent"},
                 "`sparse`: solve over cells inside admissible blocks; `independent`: lift the "
                 "finest annotation blocks to cells without a cell-level solve"),

      widths_key(MUSTFM_JOB_MEMBER(model.velocity_hidden),
                 "Hidden-layer widths of the velocity network [t, x] -> v"),
      widths_key(MUSTFM_JOB_MEMBER(model.growth_hidden),
                 "Hidden-layer widths of the growth network [t, x] -> g"),
      number_key(MUSTFM_JOB_MEMBER(model.leaky_relu_slope), kHalfOpenUnit,
                 "Negative slope of the LeakyReLU after every hidden layer"),

      integer_key(MUSTFM_JOB_MEMBER(training.steps), kAtLeastOne, "Optimizer steps"),
      integer_key(MUSTFM_JOB_MEMBER(training.batch_size), kAtLeastOne,
                  "Pairs drawn from every interval per step"),
      number_key(MUSTFM_JOB_MEMBER(training.learning_rate), kPositive,
                 "Adam learning rate at the first step"),
      number_key(MUSTFM_JOB_MEMBER(training.final_learning_rate), kPositive,
                 "Learning rate the cosine decay reaches at the last step"),
      number_key(MUSTFM_JOB_MEMBER(training.ema_decay), kHalfOpenUnit,
                 "Decay of the parameter moving average used for prediction"),
      integer_key(MUSTFM_JOB_MEMBER(training.checkpoint_every), kNonNegative,
                  "Steps between checkpoints; 0 writes only the final one"),
      integer_key(MUSTFM_JOB_MEMBER(training.log_every), kAtLeastOne,
                  "Steps averaged into each row of training/loss.csv (the log reports progress "
                  "every 10 s)"),

      optional_number_key(MUSTFM_JOB_MEMBER(prediction.start_time),
                          "Snapshot time predictions start from; null means the first snapshot"),
      number_list_key(MUSTFM_JOB_MEMBER(prediction.times),
                      "Times to predict at; empty means every observed time"),
      number_key(MUSTFM_JOB_MEMBER(prediction.rtol), kPositive,
                 "Relative tolerance of the Dormand-Prince 5(4) integrator"),
      number_key(MUSTFM_JOB_MEMBER(prediction.atol), kPositive,
                 "Absolute tolerance of the Dormand-Prince 5(4) integrator"),
      integer_key(MUSTFM_JOB_MEMBER(prediction.trajectory_particles), kNonNegative,
                  "Particles whose paths are written for plotting; 0 writes none"),
      integer_key(MUSTFM_JOB_MEMBER(prediction.trajectory_points), kNonNegative,
                  "Points written along each trajectory"),

      integer_key(MUSTFM_JOB_MEMBER(evaluation.max_points), kAtLeastTwo,
                  "Subsample size per side for the exact W1 solve"),
      seed_key(MUSTFM_JOB_MEMBER(evaluation.seed), "Seed of the W1 subsampling"),
      number_list_key(MUSTFM_JOB_MEMBER(evaluation.leave_out),
                      "Snapshot times left out of training and scored on their prediction"),

      string_key(MUSTFM_JOB_MEMBER(output.dir), rejected,
                 "Run folder; relative to the current working directory"),
      bool_key(MUSTFM_JOB_MEMBER(output.force),
               "Rerun finished stages (every one for `run`, the named one for a stage command); "
               "replace the run of a different job in output.dir (its files are removed first)"),
      choice_key(MUSTFM_JOB_MEMBER(output.log_level),
                 {"trace", "debug", "info", "warn", "error", "off"}, "Least severe level logged"),

      choice_key(MUSTFM_JOB_MEMBER(backend.device), {"auto", "cpu", "cuda"},
                 "`auto` uses CUDA when a device is present, else the CPU"),
      integer_key(MUSTFM_JOB_MEMBER(backend.device_index), kNonNegative, "CUDA device to use"),
      integer_key(MUSTFM_JOB_MEMBER(backend.threads), kNonNegative,
                  "CPU threads; 0 uses every core"),
  };
  return keys;
}

}  // namespace

#undef MUSTFM_JOB_MEMBER

const std::vector<JobKey>& job_keys() {
  static const std::vector<JobKey> keys = make_job_keys();
  return keys;
}

void check_job_consistency(const Job& job) {
  const auto shown = [](double value) { return nlohmann::json(value).dump(); };
  if (job.coupling.eps_start < job.coupling.eps)
    throw InputError("coupling.eps_start (" + shown(job.coupling.eps_start) +
                     ") must be >= coupling.eps (" + shown(job.coupling.eps) + ")");
  if (job.data.format == "npy" && job.data.labels_path.empty())
    throw InputError("data.labels_path is required when data.format is \"npy\"");
}

}  // namespace mustfm::detail
