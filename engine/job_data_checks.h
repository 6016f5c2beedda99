// Checks that need both the job and the loaded data: settings that name snapshot times or
// annotation labels must name ones the data has. Run by every command before any stage, so a
// job that cannot make sense fails at validation instead of hours into a run.
#pragma once

#include "engine/snapshots.h"
#include "io/job.h"

namespace mustfm {

// InputError, naming the key and listing what the data has, when:
//  * a snapshot's total mass is zero;
//  * prediction.start_time is not a snapshot time, or a prediction time lies before the start;
//  * evaluation.leave_out names a time that is not a snapshot, the start snapshot, or leaves
//    fewer than two snapshots to train on;
//  * data.prior_pairs names a level the data lacks, or labels no cell carries at that level.
void check_job_against_data(const Job& job, const Dataset& dataset);

}  // namespace mustfm
