#pragma once
// How cuda_emu's runtime and libraries queue work on a stream (see runtime.cpp).
#include <cuda_runtime_api.h>

#include <functional>

namespace cudaemu {

// Queues op on s (it runs, with device memory open, when something waits for it),
// records it when s captures, or runs it now on the legacy stream (nullptr), after
// every blocking stream's work; the legacy stream is refused while a blocking stream
// captures. With `now`, op runs at once after s's queued work.
cudaError_t submit(cudaStream_t s, std::function<void()> op, bool now);
cudaError_t submit(cudaStream_t s, std::function<void()> op);
// cudaErrorStreamCaptureUnsupported (and a spoiled capture) when this thread captures.
cudaError_t refuse_if_capturing();

}  // namespace cudaemu
