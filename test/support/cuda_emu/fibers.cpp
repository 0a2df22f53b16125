// cuda_emu's thread blocks: each CUDA thread of a block is a fiber on the calling host
// thread, switched by hand (a few instructions, no system call), so that thousands of
// them per launch stay cheap. A fiber runs until it finishes or waits at a barrier
// (__syncthreads, or a warp's shuffle); when none can run, the barriers whose threads
// have all arrived open. Threads that have finished count as arrived, as on the device.
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "device.hpp"

extern "C" void cudaemu_switch(void** save_sp, void* load_sp);
// Saves the callee-saved registers and the stack pointer in *save_sp, then resumes
// the context whose stack pointer is load_sp (System V x86-64).
asm(R"(
  .pushsection .text
  .globl cudaemu_switch
  .type cudaemu_switch, @function
cudaemu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cudaemu_switch, .-cudaemu_switch
  .popsection
)");

namespace cudaemu {

thread_local uint3 thread_idx;
thread_local uint3 block_idx;
thread_local dim3 block_dim;
thread_local dim3 grid_dim;

namespace {

constexpr size_t kStackBytes = 256 * 1024;
constexpr int kMaxThreads = 1024;

enum class State { runnable, at_block_barrier, at_warp_barrier, done };

struct Fiber {
  void* sp = nullptr;
  State state = State::done;
  uint3 idx{};
};

struct Block {
  void* scheduler_sp = nullptr;
  std::vector<Fiber> fibers;
  std::vector<uint64_t> shuffle_slots;
  int current = -1;
  int threads = 0;
  bool waited = false;  // some thread waited at a barrier
  bool direct = false;  // threads run as plain calls, one after another
  void (*body)(const void*) = nullptr;
  const void* arg = nullptr;
};

thread_local Block* active = nullptr;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "cuda_emu: %s\n", what);
  std::abort();
}

[[noreturn]] void fiber_entry() {
  Block* b = active;
  b->body(b->arg);
  Fiber& f = b->fibers[b->current];
  f.state = State::done;
  void* ignored;
  cudaemu_switch(&ignored, b->scheduler_sp);
  fail("a finished fiber was resumed");
}

// The stacks are made once per host thread and kept (mmap'd, touched pages only).
char* stack_of(int i) {
  thread_local std::vector<char*> stacks;
  while (static_cast<int>(stacks.size()) <= i) {
    void* p = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) fail("cannot map a fiber stack");
    stacks.push_back(static_cast<char*>(p));
  }
  return stacks[i];
}

void start(Fiber& f, int i) {
  char* stack = stack_of(i);
  // The new fiber's stack: six zeroed registers for cudaemu_switch to pop, then
  // fiber_entry as the return address, then a zero as fiber_entry's own return
  // address, which leaves the stack aligned as at a call.
  auto* top = reinterpret_cast<uintptr_t*>(stack + kStackBytes);
  top -= 2;  // 16-byte aligned: top[1] = 0 (fake return), top[0] = entry
  top[1] = 0;
  top[0] = reinterpret_cast<uintptr_t>(&fiber_entry);
  top -= 6;
  for (int r = 0; r < 6; ++r) top[r] = 0;
  f.sp = top;
  f.state = State::runnable;
}

void wait_here(State s) {
  Block* b = active;
  if (!b) fail("__syncthreads or a shuffle outside a kernel");
  if (b->direct)
    fail(
        "a kernel waited at a barrier in a later block but not in its first; cuda_emu "
        "runs the blocks of such a kernel without fibers");
  b->waited = true;
  Fiber& f = b->fibers[b->current];
  f.state = s;
  cudaemu_switch(&f.sp, b->scheduler_sp);
}

// Opens the barriers whose living threads have all arrived; false when none can open.
bool open_barriers(Block& b) {
  bool opened = false;
  const int n = b.threads;
  for (int w = 0; w < n; w += 32) {
    const int end = w + 32 < n ? w + 32 : n;
    bool all = true, any = false;
    for (int t = w; t < end; ++t) {
      if (b.fibers[t].state == State::done) continue;
      any = true;
      if (b.fibers[t].state != State::at_warp_barrier) all = false;
    }
    if (any && all) {
      for (int t = w; t < end; ++t)
        if (b.fibers[t].state != State::done) b.fibers[t].state = State::runnable;
      opened = true;
    }
  }
  if (opened) return true;
  bool all = true, any = false;
  for (int t = 0; t < n; ++t) {
    if (b.fibers[t].state == State::done) continue;
    any = true;
    if (b.fibers[t].state != State::at_block_barrier) all = false;
  }
  if (!any) return false;
  if (!all) fail("deadlock: some threads of a block wait at __syncthreads, others at a shuffle");
  for (int t = 0; t < n; ++t)
    if (b.fibers[t].state != State::done) b.fibers[t].state = State::runnable;
  return true;
}

void run_block(Block& b) {
  const dim3 d = block_dim;
  int t = 0;
  for (unsigned z = 0; z < d.z; ++z)
    for (unsigned y = 0; y < d.y; ++y)
      for (unsigned x = 0; x < d.x; ++x, ++t) {
        b.fibers[t].idx = uint3{x, y, z};
        start(b.fibers[t], t);
      }
  for (;;) {
    bool ran = false;
    for (int i = b.threads - 1; i >= 0; --i) {  // last first: see run_grid
      if (b.fibers[i].state != State::runnable) continue;
      b.current = i;
      thread_idx = b.fibers[i].idx;
      cudaemu_switch(&b.scheduler_sp, b.fibers[i].sp);
      ran = true;
    }
    if (!ran && !open_barriers(b)) break;
  }
  b.current = -1;
}

}  // namespace

void run_grid(const Config& c, void (*body)(const void*), const void* arg) {
  if (active) fail("a kernel launched from inside a kernel");
  Block b;
  b.threads = static_cast<int>(c.block.x * c.block.y * c.block.z);
  b.fibers.resize(b.threads);
  b.shuffle_slots.resize(b.threads);
  b.body = body;
  b.arg = arg;
  block_dim = c.block;
  grid_dim = c.grid;
  active = &b;
  // The first block runs as fibers; when none of its threads waited at a barrier the
  // kernel has none, and the other blocks' threads run as plain calls (much faster).
  bool first = true;
  // Blocks, and the threads of a block, run last first: code that counts on block 0
  // or thread 0 having run before the others (a shared value read without a barrier)
  // then fails here, as it may on a GPU, instead of passing by the order of a loop.
  for (unsigned z = c.grid.z; z-- > 0;)
    for (unsigned y = c.grid.y; y-- > 0;)
      for (unsigned x = c.grid.x; x-- > 0;) {
        block_idx = uint3{x, y, z};
        if (first || b.waited) {
          run_block(b);
          first = false;
          b.direct = !b.waited;
          continue;
        }
        for (int t = b.threads - 1; t >= 0; --t) {
          b.current = t;
          thread_idx = b.fibers[t].idx;
          body(arg);
        }
      }
  active = nullptr;
}

int lane_id() {
  if (!active) fail("a warp function outside a kernel");
  return active->current % 32;
}

void sync_block() { wait_here(State::at_block_barrier); }
void sync_warp() { wait_here(State::at_warp_barrier); }

uint64_t exchange_in_warp(uint64_t bits, int src_lane) {
  Block* b = active;
  if (!b) fail("a shuffle outside a kernel");
  const int me = b->current, warp = me / 32 * 32;
  b->shuffle_slots[me] = bits;
  wait_here(State::at_warp_barrier);
  uint64_t out = bits;
  if (src_lane >= 0) {
    const int src = warp + src_lane;
    if (src >= b->threads || b->fibers[src].state == State::done)
      fail("a shuffle read a lane that has exited or does not exist");
    out = b->shuffle_slots[src];
  }
  wait_here(State::at_warp_barrier);  // nobody overwrites a slot before all have read
  return out;
}

}  // namespace cudaemu
