// Shared pieces of the coupling-quality table (bench/coupling_table.cpp): the balanced exact
// assignment by LEMON's network simplex, used for exact OT on a subsample and for mini-batch OT.
#pragma once

#include <cstdint>
#include <vector>

namespace mustfm {

// Balanced exact OT between n sources x and n targets y (row-major n x dim), every cell of mass
// 1, ground cost the WFR cost of length scale delta (pairs at or beyond pi delta are left out).
// With equal unit masses an optimal vertex is a permutation, so the result is, per source, the
// index of its target, or -1 when the problem is infeasible (no perfect admissible matching).
// Costs are rounded to multiples of 1e-9 because the simplex runs on integers.
std::vector<std::int32_t> exact_assignment(const std::vector<double>& x,
                                           const std::vector<double>& y,
                                           int dim,
                                           double delta);

}  // namespace mustfm
