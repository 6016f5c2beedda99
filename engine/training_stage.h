// The training stage (DESIGN.md section 8): both networks trained on every interval's pairs at
// once, with checkpoints from which an interrupted run continues. Files in the run folder:
//  * checkpoint.bin: the training state (engine/checkpoint.h), every training.checkpoint_every
//    steps and at the end;
//  * training/loss.csv: step, velocity_loss, growth_loss, loss, learning_rate, each the mean
//    over the training.log_every steps up to `step`; rewritten with every checkpoint, so it
//    always matches the checkpoint beside it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/context.h"
#include "engine/pair_distribution_file.h"
#include "engine/snapshots.h"
#include "io/job.h"
#include "io/run_folder.h"

namespace mustfm {

inline constexpr const char* kCheckpointFile = "checkpoint.bin";
inline constexpr const char* kLossFile = "training/loss.csv";

struct TrainingOutcome {
  std::int64_t steps = 0;
  // The step the run continued from (0 for a fresh start).
  std::int64_t resumed_from = 0;
  double final_loss = 0.0;
  std::int64_t dropped_pairs = 0;
  // Training seconds spent before the run continued (from training/loss.csv), so a stage's time
  // counts the interrupted part too.
  double earlier_seconds = 0.0;
};

// `intervals[k]` holds the pairs between training snapshots k and k + 1 of `dataset` (the
// snapshots left after evaluation.leave_out). Continues from the folder's checkpoint when one
// exists; a checkpoint of other networks or another seed is an InputError that names it.
TrainingOutcome train_networks(Context& context,
                               const Job& job,
                               const Dataset& dataset,
                               const std::vector<StoredPairs>& intervals,
                               const RunFolder& folder);

}  // namespace mustfm
