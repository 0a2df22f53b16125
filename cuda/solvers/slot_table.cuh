#pragma once
// Many arrays in one launch (the solver's per-parameter work: zeroing the diffs, the
// update): a table of up to kMax slots goes to the kernel by value, as its argument,
// and each slot gets its own run of blocks. A small net's iteration then costs one
// launch (one CUDA graph node) for all of its parameters instead of one for each,
// and launches, not bytes, are what bounds such a net on the GPU.
#include <cstdint>
#include <vector>

#include "cuda/util/launch.cuh"

namespace cortado::gpu {

// Blocks given to one slot at most; larger arrays are covered by the slot's
// grid-stride loop (a function of the count alone, so results do not depend on
// what else shares the launch).
constexpr int kMaxBlocksPerSlot = 1024;

// A kernel argument must stay under 4 KB: kMax * sizeof(Slot) is kept well below.
template <class Slot, int kMax>
struct SlotTable {
  int count = 0;
  int first_block[kMax + 1] = {};  // slot s has blocks [first_block[s], first_block[s + 1])
  Slot slot[kMax];
};

inline int slot_blocks(int64_t n) {
  return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocksPerSlot));
}

// Splits `slots` (each with a member `count`) into tables of at most kMax and calls
// launch(table, blocks) for each; empty slots are left out, and nothing is launched
// for none.
template <int kMax, class Slot, class Launch>
void for_each_slot_table(const std::vector<Slot>& slots, Launch launch) {
  SlotTable<Slot, kMax> table;
  int blocks = 0;
  auto flush = [&] {
    if (table.count == 0) return;
    launch(table, blocks);
    table.count = 0;
    blocks = 0;
  };
  for (const Slot& s : slots) {
    if (s.count <= 0) continue;
    table.first_block[table.count] = blocks;
    table.slot[table.count] = s;
    blocks += slot_blocks(s.count);
    table.first_block[++table.count] = blocks;
    if (table.count == kMax) flush();
  }
  flush();
}

#ifdef __CUDACC__
#define CORTADO_HOST_DEVICE __host__ __device__
#else
#define CORTADO_HOST_DEVICE
#endif

// Where thread `thread` of block `block` (of `threads`) works: slot `slot`, elements
// first, first + stride, ... below the slot's count. A linear scan finds the slot:
// tables are short, and the kernel argument sits in constant memory. On the host too,
// so that a test can check that the blocks cover every element exactly once.
struct SlotSpan {
  int slot;
  int64_t first, stride;
};

template <class Slot, int kMax>
CORTADO_HOST_DEVICE inline SlotSpan slot_span(const SlotTable<Slot, kMax>& t, int block, int thread,
                                              int threads) {
  int s = 0;
  while (s + 1 < t.count && block >= t.first_block[s + 1]) ++s;
  return {s, static_cast<int64_t>(block - t.first_block[s]) * threads + thread,
          static_cast<int64_t>(t.first_block[s + 1] - t.first_block[s]) * threads};
}

}  // namespace cortado::gpu
