// Which stages of a run are finished. A stage writes stages/<name>.json (its seconds and when it
// finished) after all its outputs, so the record's presence means the outputs are complete; a
// run folder holds one job's run (io/run_folder.h), so they are the outputs of these settings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/run_folder.h"

namespace mustfm {

// In the order they run; each reads what the ones before it wrote.
enum class Stage { couple = 0, train = 1, predict = 2, evaluate = 3 };
inline constexpr int kStageCount = 4;

// "couple", "train", "predict", "evaluate".
const char* stage_name(Stage stage);

// The seconds a finished stage took, or nothing when it has not finished.
std::optional<double> finished_stage_seconds(const RunFolder& folder, Stage stage);
void record_finished_stage(const RunFolder& folder, Stage stage, double seconds);
// The earliest stage whose outputs depend on any of the job keys (dotted paths such as
// "training.steps"): the data, the coupling, the seed and evaluation.leave_out feed the coupling;
// model and training settings the training; prediction settings the prediction; the rest of the
// evaluation settings only the scores. Keys of the output and backend sections change no result
// and are never passed.
Stage first_stage_reading(const std::vector<std::string>& keys);

// Removes the stage's record and its outputs, so a rerun starts afresh (for training: from step
// 0, not from the checkpoint).
void clear_stage(const RunFolder& folder, Stage stage);

}  // namespace mustfm
