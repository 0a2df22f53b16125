// cuda_emu's runtime API: devices, memory, streams, events and graphs (see device.hpp;
// the error names and texts are in errors.cpp).
// Work queued on a stream waits there until something needs it: a synchronisation of
// the stream, an event or the device, another stream waiting on an event, the legacy
// stream (which waits for every blocking stream), a copy from or to pageable memory
// (synchronous in CUDA), cudaFree. So work that a missing wait would leave unfinished
// is unfinished here too, as it may be on a GPU, rather than done at once. One thread
// at a time runs device work; a capturing stream records its work into a graph. The
// calls CUDA refuses during a capture are refused the same way and spoil the capture.
// A stream that waits on an event recorded in a capture joins it (its work becomes
// nodes of the same graph, in the order queued: a valid order of the dependencies),
// and must be joined back, by the capturing stream waiting on an event recorded on it
// after its last work, before the capture ends.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "device.hpp"
#include "memory.hpp"
#include "queue.hpp"

struct CUgraph_st {
  std::vector<std::function<void()>> ops;
};
struct CUgraphExec_st {
  // Shared with queued launches: an executable graph may be destroyed while launched.
  std::shared_ptr<const std::vector<std::function<void()>>> ops;
};
struct CUstream_st {
  unsigned flags = 0;
  // Work queued and not yet run; `queued` counts all ever queued, `started` those
  // taken off the queue (a ticket n means "the first n have run").
  std::mutex mutex;
  std::deque<std::function<void()>> pending;
  uint64_t queued = 0, started = 0;
  bool capturing = false;
  bool spoiled = false;  // an illegal call during the capture
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id capturer;
  CUgraph_st* graph = nullptr;
  // A stream joined to another's capture: that stream (its origin), the work it has
  // queued into the graph, and how much of that the origin has waited for.
  CUstream_st* origin = nullptr;
  uint64_t captured = 0, joined = 0;
  uint64_t capture_id = 0;  // the capture it is part of (0: none); ids are never reused
};
struct CUevent_st {
  bool timing = true;
  bool recorded = false;
  CUstream_st* stream = nullptr;  // where it was last recorded, and the ticket there
  uint64_t ticket = 0;
  std::chrono::steady_clock::time_point when;
  // Recorded last in a capture (capture_id, 0 if not): on that stream, after that much
  // of its captured work. Such an event is only good for waits within that capture.
  uint64_t capture_id = 0;
  CUstream_st* captured_on = nullptr;
  uint64_t captured = 0;
};

namespace cudaemu {
namespace {

thread_local cudaError_t last_error = cudaSuccess;
thread_local int current_device = 0;

std::mutex streams_mutex;
std::vector<CUstream_st*> capturing_streams;
uint64_t last_capture_id = 0;
std::vector<CUstream_st*> live_streams;
// Device work runs on one host thread at a time (recursive: work may wait for work).
std::recursive_mutex device_mutex;

// The machine the tests ask for: CUDA_EMU_DEVICES devices (default 1), none when
// CUDA_VISIBLE_DEVICES is set and empty (as CUDA counts them).
int device_count() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible && !*visible) return 0;
  const char* env = std::getenv("CUDA_EMU_DEVICES");
  return env ? std::atoi(env) : 1;
}

// CUDA_EMU_BUSY=1: the device is held by another process in exclusive mode, so
// creating a context fails, as CUDA's first call that needs one would.
bool device_busy() {
  const char* env = std::getenv("CUDA_EMU_BUSY");
  return env && std::strcmp(env, "1") == 0;
}

cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}

// A capture that a call made now would spoil: one begun by this thread (thread-local
// or global mode) or by any thread in global mode.
CUstream_st* capture_spoiled_by_this_thread() {
  std::lock_guard<std::mutex> lock(streams_mutex);
  for (CUstream_st* s : capturing_streams) {
    if (s->mode == cudaStreamCaptureModeRelaxed) continue;
    if (s->mode == cudaStreamCaptureModeGlobal || s->capturer == std::this_thread::get_id())
      return s;
  }
  return nullptr;
}

}  // namespace

// Refuses a call CUDA calls unsafe during a capture.
cudaError_t refuse_if_capturing() {
  if (CUstream_st* s = capture_spoiled_by_this_thread()) {
    s->spoiled = true;
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  return cudaSuccess;
}

// Runs s's queued work up to ticket t, in order.
void run_until(CUstream_st* s, uint64_t t) {
  std::lock_guard<std::recursive_mutex> device(device_mutex);
  for (;;) {
    std::function<void()> op;
    {
      std::lock_guard<std::mutex> lock(s->mutex);
      if (s->started >= t || s->pending.empty()) return;
      op = std::move(s->pending.front());
      s->pending.pop_front();
      ++s->started;
    }
    DeviceAccess access;
    op();
  }
}

void run_all_of(CUstream_st* s) {
  uint64_t t;
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    t = s->queued;
  }
  run_until(s, t);
}

void run_everything(bool blocking_only) {
  std::vector<CUstream_st*> streams;
  {
    std::lock_guard<std::mutex> lock(streams_mutex);
    streams = live_streams;
  }
  for (CUstream_st* s : streams)
    if (!blocking_only || !(s->flags & cudaStreamNonBlocking)) run_all_of(s);
}

void run_now(const std::function<void()>& op) {
  std::lock_guard<std::recursive_mutex> device(device_mutex);
  DeviceAccess access;
  op();
}

cudaError_t submit(cudaStream_t s, std::function<void()> op, bool now) {
  if (!s) {
    // The legacy stream waits for every blocking stream: not while one captures.
    {
      std::lock_guard<std::mutex> lock(streams_mutex);
      for (CUstream_st* c : capturing_streams) {
        if (!(c->flags & cudaStreamNonBlocking)) {
          c->spoiled = true;
          return fail(cudaErrorStreamCaptureImplicit);
        }
      }
    }
    run_everything(true);
    run_now(op);
    return cudaSuccess;
  }
  if (s->capturing) {
    s->graph->ops.push_back(std::move(op));
    ++s->captured;
    return cudaSuccess;
  }
  if (now) {
    run_all_of(s);
    run_now(op);
    return cudaSuccess;
  }
  std::lock_guard<std::mutex> lock(s->mutex);
  s->pending.push_back(std::move(op));
  ++s->queued;
  return cudaSuccess;
}

cudaError_t submit(cudaStream_t s, std::function<void()> op) {
  return submit(s, std::move(op), false);
}

cudaError_t synchronize_device() {
  if (cudaError_t e = refuse_if_capturing()) return e;
  run_everything(false);
  return cudaSuccess;
}

cudaError_t queue_kernel(const Config& c, void (*op)(const void*), const void* closure,
                         void* (*copy)(const void*), void (*destroy)(void*)) {
  const unsigned long long threads =
      static_cast<unsigned long long>(c.block.x) * c.block.y * c.block.z;
  if (c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0 || threads == 0 || threads > 1024 ||
      c.grid.y > 65535 || c.grid.z > 65535 || c.block.z > 64) {
    last_error = cudaErrorInvalidConfiguration;
    return last_error;
  }
  cudaError_t e;
  if (c.stream) {  // queued or captured: the launch's copy of its arguments is kept
    std::shared_ptr<void> kept(copy(closure), destroy);
    e = submit(c.stream, [op, kept] { op(kept.get()); });
  } else {
    e = submit(c.stream, [op, closure] { op(closure); });
  }
  if (e != cudaSuccess) last_error = e;
  return e;
}

void check_kernel_pointer(const void* p, int arg) {
  if (!p || is_device(p, 0) || is_pinned(p)) return;
  std::fprintf(stderr,
               "cuda_emu: kernel argument %d is a pointer to host memory (%p); a GPU would "
               "fault reading it\n",
               arg, p);
  std::abort();
}

}  // namespace cudaemu

using cudaemu::fail;
using cudaemu::refuse_if_capturing;
using cudaemu::submit;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = cudaemu::device_count();
  if (*count == 0) return fail(cudaErrorNoDevice);
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= cudaemu::device_count()) return fail(cudaErrorInvalidDevice);
  cudaemu::current_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = cudaemu::current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= cudaemu::device_count()) return fail(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "cuda_emu CPU emulator");
  prop->totalGlobalMem = cudaemu::device_capacity();
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->multiProcessorCount = 4;
  prop->major = 9;
  prop->minor = 0;
  prop->computeMode = cudaComputeModeDefault;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (device < 0 || device >= cudaemu::device_count()) return fail(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrComputeMode:
      *value = cudaComputeModeDefault;
      return cudaSuccess;
    case cudaDevAttrMultiProcessorCount:
      *value = 4;
      return cudaSuccess;
    case cudaDevAttrL2CacheSize:  // small, so that tests meet the L2-sized chunks
      *value = 256 * 1024;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor:  // as cudaGetDeviceProperties says
      *value = 9;
      return cudaSuccess;
  }
  return fail(cudaErrorInvalidValue);
}

cudaError_t cudaDeviceSynchronize() { return cudaemu::synchronize_device(); }

cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* attr, const void* func) {
  if (!func) return fail(cudaErrorInvalidValue);
  attr->binaryVersion = 90;  // as cudaGetDeviceProperties: compute capability 9.0
  attr->ptxVersion = 90;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = cudaemu::last_error;
  cudaemu::last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() { return cudaemu::last_error; }

cudaError_t cudaMalloc(void** ptr, size_t size) {
  *ptr = nullptr;
  if (cudaError_t e = refuse_if_capturing()) return e;
  if (size == 0) return cudaSuccess;
  *ptr = cudaemu::device_alloc(size);
  return *ptr ? cudaSuccess : fail(cudaErrorMemoryAllocation);
}

cudaError_t cudaMallocAsync(void** ptr, size_t size, cudaStream_t) {
  // Legal during a capture (an allocation node); here the memory is made at once.
  *ptr = size ? cudaemu::device_alloc(size) : nullptr;
  return *ptr || size == 0 ? cudaSuccess : fail(cudaErrorMemoryAllocation);
}

cudaError_t cudaFree(void* ptr) {
  if (cudaemu::device_busy()) return cudaemu::fail(cudaErrorDevicesUnavailable);
  // Synchronises the device first, as CUDA's does: queued work may still use ptr.
  if (cudaError_t e = cudaemu::synchronize_device()) return e;
  if (!ptr) return cudaSuccess;
  return cudaemu::device_free(ptr) ? cudaSuccess : fail(cudaErrorInvalidValue);
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t) {
  if (!ptr) return cudaSuccess;
  return cudaemu::device_free(ptr) ? cudaSuccess : fail(cudaErrorInvalidValue);
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
  *ptr = nullptr;
  if (cudaError_t e = refuse_if_capturing()) return e;
  *ptr = cudaemu::pinned_alloc(size);
  return *ptr ? cudaSuccess : fail(cudaErrorMemoryAllocation);
}

cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned int) {
  return cudaMallocHost(ptr, size);
}

cudaError_t cudaFreeHost(void* ptr) {
  if (cudaError_t e = cudaemu::synchronize_device()) return e;
  if (!ptr) return cudaSuccess;
  return cudaemu::pinned_free(ptr) ? cudaSuccess : fail(cudaErrorInvalidValue);
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  *total = cudaemu::device_capacity();
  *free = *total - cudaemu::device_used();
  return cudaSuccess;
}

namespace {

// With unified addressing a copy's kind must match where its pointers are.
bool kind_matches(void* dst, const void* src, size_t n, cudaMemcpyKind kind) {
  const bool dst_dev = cudaemu::is_device(dst, n), src_dev = cudaemu::is_device(src, n);
  const bool dst_host = !cudaemu::is_device(dst, 1), src_host = !cudaemu::is_device(src, 1);
  switch (kind) {
    case cudaMemcpyHostToHost:
      return dst_host && src_host;
    case cudaMemcpyHostToDevice:
      return dst_dev && src_host;
    case cudaMemcpyDeviceToHost:
      return dst_host && src_dev;
    case cudaMemcpyDeviceToDevice:
      return dst_dev && src_dev;
    case cudaMemcpyDefault:
      return (dst_dev || dst_host) && (src_dev || src_host);
  }
  return false;
}

}  // namespace

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (!kind_matches(dst, src, count, kind)) return fail(cudaErrorInvalidValue);
  // A graph cannot copy from or to pageable host memory.
  if (stream && stream->capturing) {
    for (const void* p : {static_cast<const void*>(dst), src}) {
      if (!cudaemu::is_device(p, 1) && !cudaemu::is_pinned(p)) {
        stream->spoiled = true;
        return fail(cudaErrorStreamCaptureUnsupported);
      }
    }
  }
  // Pageable host memory is copied synchronously (CUDA stages it); pinned is async.
  const bool pageable = (!cudaemu::is_device(dst, 1) && !cudaemu::is_pinned(dst)) ||
                        (!cudaemu::is_device(src, 1) && !cudaemu::is_pinned(src));
  return cudaemu::submit(
      stream, [dst, src, count] { std::memmove(dst, src, count); }, pageable);
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (cudaError_t e = refuse_if_capturing()) return e;
  return cudaMemcpyAsync(dst, src, count, kind, nullptr);
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (!cudaemu::is_device(ptr, count)) return fail(cudaErrorInvalidValue);
  return submit(stream, [ptr, value, count] { std::memset(ptr, value, count); });
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  if (cudaError_t e = refuse_if_capturing()) return e;
  return cudaMemsetAsync(ptr, value, count, nullptr);
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  *stream = new CUstream_st;
  (*stream)->flags = flags;
  std::lock_guard<std::mutex> lock(cudaemu::streams_mutex);
  cudaemu::live_streams.push_back(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (!stream || stream->capturing) return fail(cudaErrorInvalidResourceHandle);
  cudaemu::run_all_of(stream);  // its work still completes
  {
    std::lock_guard<std::mutex> lock(cudaemu::streams_mutex);
    auto& live = cudaemu::live_streams;
    for (size_t i = 0; i < live.size(); ++i)
      if (live[i] == stream) live.erase(live.begin() + static_cast<long>(i--));
  }
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  if (stream && stream->capturing) {
    stream->spoiled = true;
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  if (cudaError_t e = refuse_if_capturing()) return e;
  if (stream)
    cudaemu::run_all_of(stream);
  else
    cudaemu::run_everything(true);
  return cudaSuccess;
}

cudaError_t cudaStreamQuery(cudaStream_t stream) { return cudaStreamSynchronize(stream); }

// Work queued on `stream` from now on runs only after the event's work.
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  if (event->capture_id) {
    if (!stream) return fail(cudaErrorStreamCaptureImplicit);
    std::lock_guard<std::mutex> lock(cudaemu::streams_mutex);
    // Its capture must still go on (compared by id: a finished capture's stream may
    // be gone, and an address may come back).
    CUstream_st* from = nullptr;
    for (CUstream_st* c : cudaemu::capturing_streams)
      if (c == event->captured_on && c->capture_id == event->capture_id) from = c;
    if (!from) return fail(cudaErrorCapturedEvent);
    CUstream_st* origin = from->origin ? from->origin : from;
    if (!stream->capturing) {  // a fork: stream joins the capture
      stream->capturing = true;
      stream->spoiled = false;
      stream->mode = origin->mode;
      stream->capturer = origin->capturer;
      stream->graph = origin->graph;
      stream->origin = origin;
      stream->capture_id = origin->capture_id;
      stream->captured = stream->joined = 0;
      cudaemu::capturing_streams.push_back(stream);
    } else if (stream->graph != from->graph) {
      return fail(cudaErrorStreamCaptureUnmatched);
    }
    // A join: the waiting stream now follows from's work up to the record (the graph
    // holds it in queued order already).
    if (stream == origin && from != origin) from->joined = std::max(from->joined, event->captured);
    return cudaSuccess;
  }
  CUstream_st* src = event->stream;
  const uint64_t ticket = event->ticket;
  if (!src) return cudaSuccess;  // never recorded, or on the legacy stream: done
  // The legacy stream waits at once; so does a capture, whose replays all come later.
  if (!stream || stream->capturing) {
    cudaemu::run_until(src, ticket);
    return cudaSuccess;
  }
  return cudaemu::submit(stream, [src, ticket] { cudaemu::run_until(src, ticket); });
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  *event = new CUevent_st;
  (*event)->timing = !(flags & cudaEventDisableTiming);
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  // Queued work may still record it: that work runs first.
  if (event && event->stream) cudaemu::run_until(event->stream, event->ticket);
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  if (stream && stream->capturing) {  // a dependency inside the graph, no node of its own
    event->capture_id = stream->capture_id;
    event->captured_on = stream;
    event->captured = stream->captured;
    return cudaSuccess;
  }
  event->capture_id = 0;
  event->captured_on = nullptr;
  const cudaError_t e = submit(stream, [event] {
    event->recorded = true;
    event->when = std::chrono::steady_clock::now();
  });
  if (e != cudaSuccess) return e;
  if (stream && !stream->capturing) {
    std::lock_guard<std::mutex> lock(stream->mutex);
    event->stream = stream;
    event->ticket = stream->queued;
  } else if (!stream) {
    event->stream = nullptr;
  }
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  if (event->capture_id) return fail(cudaErrorCapturedEvent);
  if (cudaError_t e = refuse_if_capturing()) return e;
  if (event->stream) cudaemu::run_until(event->stream, event->ticket);
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) { return cudaEventSynchronize(event); }

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end || !start->timing || !end->timing) return fail(cudaErrorInvalidResourceHandle);
  if (start->capture_id || end->capture_id) return fail(cudaErrorCapturedEvent);
  if (!start->recorded || !end->recorded) return fail(cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
  return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  // The legacy stream cannot be captured.
  if (!stream || stream->capturing) return fail(cudaErrorInvalidValue);
  std::lock_guard<std::mutex> lock(cudaemu::streams_mutex);
  stream->capturing = true;
  stream->spoiled = false;
  stream->mode = mode;
  stream->capturer = std::this_thread::get_id();
  stream->graph = new CUgraph_st;
  stream->capture_id = ++cudaemu::last_capture_id;
  cudaemu::capturing_streams.push_back(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  *graph = nullptr;
  if (!stream || !stream->capturing) return fail(cudaErrorInvalidValue);
  if (stream->mode != cudaStreamCaptureModeRelaxed &&
      stream->capturer != std::this_thread::get_id())
    return fail(cudaErrorStreamCaptureUnmatched);
  if (stream->origin) return fail(cudaErrorStreamCaptureUnmatched);  // not where it began
  std::lock_guard<std::mutex> lock(cudaemu::streams_mutex);
  auto& list = cudaemu::capturing_streams;
  bool spoiled = stream->spoiled, unjoined = false;
  for (size_t i = 0; i < list.size(); ++i) {
    CUstream_st* s = list[i];
    if (s != stream && s->origin != stream) continue;
    if (s != stream) {  // a forked stream leaves the capture with it
      spoiled = spoiled || s->spoiled;
      unjoined = unjoined || s->captured > s->joined;
      s->capturing = false;
      s->graph = nullptr;
      s->origin = nullptr;
      s->capture_id = 0;
    }
    list.erase(list.begin() + static_cast<long>(i--));
  }
  stream->capture_id = 0;
  stream->capturing = false;
  CUgraph_st* g = stream->graph;
  stream->graph = nullptr;
  if (spoiled || unjoined) {
    delete g;
    return fail(unjoined && !spoiled ? cudaErrorStreamCaptureUnjoined
                                     : cudaErrorStreamCaptureInvalidated);
  }
  *graph = g;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t* exec, cudaGraph_t graph,
                                          unsigned long long) {
  if (!graph) return fail(cudaErrorInvalidValue);
  *exec =
      new CUgraphExec_st{std::make_shared<const std::vector<std::function<void()>>>(graph->ops)};
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  if (!exec) return fail(cudaErrorInvalidValue);
  return submit(stream, [ops = exec->ops] {
    for (auto& op : *ops) op();
  });
}

// Every queued operation (a kernel, a copy, a library call) is one node. Only the
// count is given: the nodes themselves are null handles.
cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* numNodes) {
  if (!graph || !numNodes) return fail(cudaErrorInvalidValue);
  if (nodes)
    for (size_t i = 0; i < std::min(*numNodes, graph->ops.size()); ++i) nodes[i] = nullptr;
  *numNodes = graph->ops.size();
  return cudaSuccess;
}

cudaError_t cudaGraphDebugDotPrint(cudaGraph_t graph, const char* path, unsigned int /*flags*/) {
  if (!graph || !path) return fail(cudaErrorInvalidValue);
  std::ofstream out(path);
  out << "digraph cuda_emu {\n";
  for (size_t i = 0; i < graph->ops.size(); ++i) {
    out << "  op" << i << ";\n";
    if (i) out << "  op" << i - 1 << " -> op" << i << ";\n";
  }
  out << "}\n";
  return out ? cudaSuccess : fail(cudaErrorInvalidValue);
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
