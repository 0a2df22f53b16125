#pragma once
// How cuda_emu's runtime and libraries queue work on a stream (see runtime.cpp).
#include <cuda_runtime_api.h>

#include <functional>

namespace cudaemu {

// Runs op now with device memory open, or records it when the stream captures; the
// legacy stream (nullptr) is refused while a blocking stream captures.
cudaError_t submit(cudaStream_t s, std::function<void()> op);
// cudaErrorStreamCaptureUnsupported (and a spoiled capture) when this thread captures.
cudaError_t refuse_if_capturing();

}  // namespace cudaemu
