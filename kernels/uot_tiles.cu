// Tiled log-domain Sinkhorn, CUDA backend (kernels/uot_tiles.h): the twin of
// kernels/uot_tiles_cpu.cpp, with the same driver (run_sinkhorn_schedule) and per-pair formulas
// (kernels/uot_tiles_entry.h), in double. Names as in kernels/uot_solver.h; tau = rho / (rho +
// eps).
//
// One kernel serves both passes, as in kernels/uot_sinkhorn.cu: a group of threads (a warp, or
// the block for long lines) walks the tiles of one row (partners: the tiles' columns) or one
// column (partners: the tiles' rows), recomputing each pair's cost from the points, and merges
// its log-sum-exp states in a fixed order, so repeated runs give identical bits. No cost is
// stored: the device holds the points, the tiles and the per-line tile lists.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "kernels/sinkhorn_schedule.h"
#include "kernels/uot_device.cuh"
#include "kernels/uot_tiles_detail.h"
#include "kernels/uot_tiles_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

template <class T>
DeviceArray<T> to_device(const T* host, std::size_t size, cudaStream_t stream) {
  DeviceArray<T> array(size, stream);
  if (size > 0)
    MUSTFM_CUDA_CHECK(
        cudaMemcpyAsync(array.data(), host, size * sizeof(T), cudaMemcpyHostToDevice, stream));
  return array;
}

template <class T>
DeviceArray<T> to_device(const std::vector<T>& host, cudaStream_t stream) {
  return to_device(host.data(), host.size(), stream);
}

// Contract (s lines: rows for a row pass, columns for a column pass):
//   tile_offsets, tile_ids  line k walks tiles[tile_ids[tile_offsets[k] .. tile_offsets[k+1])],
//                           ordered along the partner axis (kernels/uot_tiles_detail.h)
//   row_pass                true: partners are the tiles' columns, false: their rows
//   x, y                    source and target points, dim doubles each, row-major
//   partner_potential       per partner (g for a row pass, f for a column pass), +inf where the
//                           partner carries no mass; partner_log_mass likewise (-inf there)
//   own_log_mass            s doubles; lines at -inf are skipped and their potential untouched
//   potential               s doubles, assigned -tau eps LSE for every other line
//   previous, change        null, or s doubles each: change assigned |potential - previous| /
//                           (tau eps), 0 for skipped lines
// Launch: kBlock threads per block, kThreads (a warp or the block) per line, grid
// segment_blocks(s, kThreads). Preconditions: potential aliases none of the inputs; a line that
// is not skipped has an admissible pair with a live partner, so its log-sum-exp is finite.
template <int kThreads>
__global__ void __launch_bounds__(kBlock) tile_pass_kernel(const std::int64_t* tile_offsets,
                                                           const std::int32_t* tile_ids,
                                                           const UotTile* tiles,
                                                           bool row_pass,
                                                           const double* x,
                                                           const double* y,
                                                           int dim,
                                                           double delta,
                                                           const double* partner_potential,
                                                           const double* partner_log_mass,
                                                           const double* own_log_mass,
                                                           std::int64_t segments,
                                                           double eps,
                                                           double tau,
                                                           const double* previous,
                                                           double* potential,
                                                           double* change) {
  __shared__ double scratch[2 * kBlock / kWarp];
  const std::int64_t s = group_segment<kThreads>();
  if (s >= segments) return;
  const int rank = group_rank<kThreads>();
  if (own_log_mass[s] == -kInf) {
    if (change != nullptr && rank == 0) change[s] = 0.0;
    return;
  }

  LseState<double> state;
  const double* own_point = (row_pass ? x : y) + s * dim;
  for (std::int64_t k = tile_offsets[s]; k < tile_offsets[s + 1]; ++k) {
    const UotTile tile = tiles[tile_ids[k]];
    const std::int32_t begin = row_pass ? tile.col_begin : tile.row_begin;
    const std::int32_t end = row_pass ? tile.col_end : tile.row_end;
    for (std::int32_t partner = begin + rank; partner < end; partner += kThreads) {
      const double* partner_point = (row_pass ? y : x) + static_cast<std::int64_t>(partner) * dim;
      const double* source_point = row_pass ? own_point : partner_point;
      const double* target_point = row_pass ? partner_point : own_point;
      lse_push(state, tile_lse_term(source_point, target_point, dim, delta,
                                    partner_potential[partner], partner_log_mass[partner], eps));
    }
  }
  state = group_lse<kThreads>(state, scratch);
  if (rank != 0) return;

  const double updated = sinkhorn_potential(lse_value(state), tau, eps);
  potential[s] = updated;
  if (change != nullptr) change[s] = std::fabs(updated - previous[s]) / (tau * eps);
}

// Contract (n tiles, pairs values in all): plan_offsets n + 1 int64 (tile_plan_offsets); x, y,
// f, g, log_a, log_b as above; plan `pairs` doubles, assigned gamma in the tiled layout (0 where
// no mass can flow). Launch: 1-d grid-stride over the pairs, any geometry.
__global__ void tile_plan_kernel(const UotTile* tiles,
                                 const std::int64_t* plan_offsets,
                                 std::int64_t n,
                                 const double* x,
                                 const double* y,
                                 int dim,
                                 double delta,
                                 const double* f,
                                 const double* g,
                                 const double* log_a,
                                 const double* log_b,
                                 double eps,
                                 double* plan) {
  const std::int64_t pairs = plan_offsets[n];
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t q = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < pairs;
       q += stride) {
    // The tile holding q: the last t with plan_offsets[t] <= q, which skips empty tiles.
    std::int64_t low = 0;
    std::int64_t high = n;
    while (high - low > 1) {
      const std::int64_t mid = low + (high - low) / 2;
      if (plan_offsets[mid] <= q)
        low = mid;
      else
        high = mid;
    }
    const UotTile tile = tiles[low];
    const std::int64_t width = tile.col_end - tile.col_begin;
    const std::int64_t local = q - plan_offsets[low];
    const std::int64_t i = tile.row_begin + local / width;
    const std::int64_t j = tile.col_begin + local % width;
    plan[q] =
        tile_plan_value(x + i * dim, y + j * dim, dim, delta, f[i], g[j], log_a[i], log_b[j], eps);
  }
}

// Launches the pass kernel with the group size suited to the lines' average length.
void tile_pass(cudaStream_t stream,
               const std::int64_t* tile_offsets,
               const std::int32_t* tile_ids,
               const UotTile* tiles,
               bool row_pass,
               const double* x,
               const double* y,
               int dim,
               double delta,
               const double* partner_potential,
               const double* partner_log_mass,
               const double* own_log_mass,
               std::int64_t segments,
               std::int64_t pairs,
               double eps,
               double tau,
               const double* previous,
               double* potential,
               double* change) {
  if (segments == 0) return;
  const int threads = threads_per_segment(pairs, segments);
  const unsigned blocks = segment_blocks(segments, threads);
  if (threads == kWarp)
    tile_pass_kernel<kWarp><<<blocks, kBlock, 0, stream>>>(
        tile_offsets, tile_ids, tiles, row_pass, x, y, dim, delta, partner_potential,
        partner_log_mass, own_log_mass, segments, eps, tau, previous, potential, change);
  else
    tile_pass_kernel<kBlock><<<blocks, kBlock, 0, stream>>>(
        tile_offsets, tile_ids, tiles, row_pass, x, y, dim, delta, partner_potential,
        partner_log_mass, own_log_mass, segments, eps, tau, previous, potential, change);
  MUSTFM_LAUNCH_CHECK(stream);
}

// The device state of one tiled solve, in the form run_sinkhorn_schedule drives: the points, tiles
// and tile lists, the potentials f (current), f_new (the row pass's output) and g, the per-row
// changes and the residual they reduce to.
struct TileCudaPasses {
  TileCudaPasses(const Exec& exec, const TilesPrepared& p, const UotOptions& options)
      : prepared(p),
        stream(static_cast<cudaStream_t>(exec.stream)),
        x(to_device(p.problem->x.data, p.problem->x.size, stream)),
        y(to_device(p.problem->y.data, p.problem->y.size, stream)),
        tiles(to_device(p.problem->tiles, stream)),
        row_tile_offsets(to_device(p.row_tile_offsets, stream)),
        row_tiles(to_device(p.row_tiles, stream)),
        col_tile_offsets(to_device(p.col_tile_offsets, stream)),
        col_tiles(to_device(p.col_tiles, stream)),
        plan_offsets(to_device(p.plan_offsets, stream)),
        log_a(to_device(p.log_a, stream)),
        log_b(to_device(p.log_b, stream)),
        potentials(p.log_a, p.log_b, log_a.data(), log_b.data(), p.rho, options, stream) {}

  // g from f (over-relaxed by omega unless omega is 1), then f_new and the per-row change from
  // (f, g).
  void pass_pair(double eps, double omega) {
    const UotTiledProblem& q = *prepared.problem;
    const double tau = prepared.rho / (prepared.rho + eps);
    SinkhornPotentials& v = potentials;
    v.before_column_pass(omega);
    tile_pass(stream, col_tile_offsets.data(), col_tiles.data(), tiles.data(), false, x.data(),
              y.data(), q.dim, q.delta, v.f.data(), log_a.data(), log_b.data(), prepared.cols,
              prepared.pairs, eps, tau, nullptr, v.g.data(), nullptr);
    v.after_column_pass(omega);
    tile_pass(stream, row_tile_offsets.data(), row_tiles.data(), tiles.data(), true, x.data(),
              y.data(), q.dim, q.delta, v.g.data(), log_b.data(), log_a.data(), prepared.rows,
              prepared.pairs, eps, tau, v.f.data(), v.f_new.data(), v.change.data());
  }

  double read_residual() { return potentials.read_residual(); }
  void advance(double omega, bool translate) { potentials.advance(omega, translate); }

  std::vector<double> plan(double eps) {
    const UotTiledProblem& q = *prepared.problem;
    DeviceArray<double> values(static_cast<std::size_t>(prepared.pairs), stream);
    if (prepared.pairs > 0) {
      const auto blocks = static_cast<unsigned>(
          std::min<std::int64_t>((prepared.pairs + kBlock - 1) / kBlock, 4096));
      tile_plan_kernel<<<blocks, kBlock, 0, stream>>>(
          tiles.data(), plan_offsets.data(), static_cast<std::int64_t>(q.tiles.size()), x.data(),
          y.data(), q.dim, q.delta, potentials.f.data(), potentials.g.data(), log_a.data(),
          log_b.data(), eps, values.data());
      MUSTFM_LAUNCH_CHECK(stream);
    }
    return values.download();
  }

  const TilesPrepared& prepared;
  cudaStream_t stream;
  DeviceArray<double> x;
  DeviceArray<double> y;
  DeviceArray<UotTile> tiles;
  DeviceArray<std::int64_t> row_tile_offsets;
  DeviceArray<std::int32_t> row_tiles;
  DeviceArray<std::int64_t> col_tile_offsets;
  DeviceArray<std::int32_t> col_tiles;
  DeviceArray<std::int64_t> plan_offsets;
  DeviceArray<double> log_a;
  DeviceArray<double> log_b;
  SinkhornPotentials potentials;
};

}  // namespace

UotRaw sinkhorn_tiles_cuda(const Exec& exec, const TilesPrepared& p, const UotOptions& options) {
  TileCudaPasses passes(exec, p, options);
  UotRaw raw;
  run_sinkhorn_schedule(passes, options, p.rho, raw);
  raw.plan = passes.plan(raw.eps);
  raw.f = passes.potentials.f.download();
  raw.g = passes.potentials.g.download();
  return raw;
}

}  // namespace mustfm::detail
