// The coupling stage's files in a run folder, under couplings/. Per interval k (times t0, t1)
// and solved level NAME, with stem couplings/interval_<k>_t<t0>-<t1>_<NAME>:
//  * annotation levels: <stem>.csv, the transition table (columns source, target, mass,
//    row_fraction = mass / row sum, column_fraction = mass / column sum, mass_ratio = m1 / m0 of
//    the pair; cluster labels as "2/7"; pairs with positive mass only), and <stem>.json, the
//    solver report;
//  * the cell level (`sparse`): <stem>.json, and the plan as three NPY arrays <stem>_source.npy,
//    <stem>_target.npy (int64 cell indices in snapshot order, i.e. rows of that time's cells in
//    the input table's order) and <stem>_mass.npy (float64), pairs with positive mass only. A plan
//    with more than kMaxCellTableEntries such pairs is not written; the JSON says so.
// And per interval couplings/interval_<k>_t<t0>-<t1>.json: the levels' reports and the training
// pair distribution (entries, sampled and unsampled masses).
#pragma once

#include <cstdint>
#include <string>

#include "engine/coupling.h"
#include "io/job.h"
#include "io/run_folder.h"

namespace mustfm {

inline constexpr std::int64_t kMaxCellTableEntries = 10'000'000;

// "couplings/interval_0_t0-1".
std::string interval_stem(const IntervalCoupling& interval);

void write_couplings(const RunFolder& folder,
                     const CouplingResult& result,
                     const CouplingSettings& settings);

}  // namespace mustfm
