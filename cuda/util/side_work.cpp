#include "cuda/util/side_work.hpp"

#include <cuda_runtime_api.h>

#include <atomic>

#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

std::atomic<bool> side_stream_on{true};
thread_local int side_depth = 0;
// Side work this thread queued since its last join. Per thread: a data thread's host
// copy must not add a join to the stream the solver's thread may be capturing.
thread_local bool pending = false;

// Made once and never destroyed, like the context. Timing off: only orderings.
cudaEvent_t make_event() {
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
  return e;
}

}  // namespace

SideWork::SideWork() : active_(side_stream_on.load()) {
  if (!active_) return;
  if (side_depth++ > 0) return;  // nested: already there
  try {
    Context& ctx = Context::get();
    static cudaEvent_t fork = make_event();
    check(cudaEventRecord(fork, ctx.main_stream()), "cudaEventRecord");
    check(cudaStreamWaitEvent(ctx.side_stream(), fork, 0), "cudaStreamWaitEvent");
  } catch (...) {
    --side_depth;
    throw;
  }
  pending = true;
}

SideWork::~SideWork() {
  if (active_) --side_depth;
}

bool on_side_stream() { return side_depth > 0; }

void set_side_stream(bool on) { side_stream_on.store(on); }

void join_side_work() {
  // Inside a scope this thread queues on the side stream itself, behind that work (a
  // parameter's diff copied up there): the join comes after the scope's last work.
  if (!pending || side_depth > 0) return;
  pending = false;
  Context& ctx = Context::get();
  static cudaEvent_t join = make_event();
  check(cudaEventRecord(join, ctx.side_stream()), "cudaEventRecord");
  check(cudaStreamWaitEvent(ctx.main_stream(), join, 0), "cudaStreamWaitEvent");
}

}  // namespace cortado::gpu
