// The built-in multiscale benchmark (data.path "builtin:multiscale" and
// "builtin:multiscale-growth"), a two-level toy with a known coupling. It is produced as a
// CellTable, so it takes exactly the path a file takes (build_dataset, hierarchy, couplings).
//
// Layout, with the defaults of SyntheticSettings in brackets:
//  * two snapshots, at times 0 and time_step [1];
//  * snapshot 0: 3 coarse clusters (label scale0) centred at (0, +coarse_spacing), (0, 0) and
//    (0, -coarse_spacing) for labels "0" (top), "1" (middle), "2" (bottom); each holds 9 fine
//    clusters (label scale1 "0".."8") centred at the coarse centre plus (a, b) * fine_spacing,
//    a, b in {-1, 0, 1}, enumerated row-major: fine f has a = f / 3 - 1 (x offset) and
//    b = f % 3 - 1 (y offset); cells_per_cluster [1000] cells per fine cluster, drawn from an
//    isotropic Gaussian of standard deviation noise [0.2] around the fine centre (27,000 cells);
//  * snapshot 1: every cell of snapshot 0 translated by (translation, 0) [4], labels kept, same
//    order: cell i of snapshot 1 is the image of cell i of snapshot 0, which is the true coupling
//    at the cell, fine and coarse level;
//  * growth variant: fine cluster (coarse 0, fine 0) doubles (its translated cells are followed
//    by as many new cells drawn around the translated centre) and fine cluster (coarse 2, fine 8)
//    halves (only the first cells_per_cluster / 2 of its translated cells remain).
// Cells of each snapshot are written cluster by cluster (coarse, then fine, row-major).
//
// Why these constants: the translation 4 is well inside the WFR cut-off pi * delta for any
// delta >= 1.5 (pi * 1.5 ~ 4.7), so every true pair is admissible; the example job uses delta 5,
// where pi * delta ~ 15.7 >> 4. Fine centres 1.5 apart are 7.5 noise standard deviations apart,
// so all but about 2 in 10,000 cells lie nearer their own fine centre than any other. Coarse
// centres 6
// apart leave 3 (two fine spacings, 15 noise deviations) between the nearest fine centres of
// neighbouring coarse clusters, so coarse clusters are far apart relative to the fine structure.
// Random draws use Philox keyed by seed; stream 0 draws snapshot 0, stream 1 the new cells of
// snapshot 1, so a run is reproducible on any machine and thread count.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/cell_table.h"
#include "io/job.h"

namespace mustfm {

inline constexpr int kMultiscaleCoarseClusters = 3;
inline constexpr int kMultiscaleFineClusters = 9;

struct SyntheticData {
  CellTable table;
  // Table rows [0, snapshot0_cells) are snapshot 0; the rest are snapshot 1, in order.
  std::size_t snapshot0_cells = 0;
  // true_partner[j]: for snapshot-1 cell j (table row snapshot0_cells + j), the snapshot-0 row
  // it is the image of, or -1 for a cell born between the snapshots.
  std::vector<std::int64_t> true_partner;
};

// The designed centre of fine cluster `fine` of coarse cluster `coarse` in snapshot 0.
std::array<double, 2> multiscale_centre(const SyntheticSettings& settings, int coarse, int fine);

// Throws InputError for cells_per_cluster < 1, a negative noise, a non-positive time_step or a
// non-finite spacing, translation or noise.
SyntheticData generate_multiscale_data(const SyntheticSettings& settings, bool with_growth);

// The table alone, with source "builtin:multiscale" or "builtin:multiscale-growth".
CellTable generate_multiscale(const SyntheticSettings& settings, bool with_growth);

}  // namespace mustfm
