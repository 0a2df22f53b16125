#include "cuda/util/chained.hpp"

#include <atomic>

#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {
std::atomic<bool> chaining{true};
}  // namespace

bool chained_launches() {
  return chaining.load(std::memory_order_relaxed) && Context::get().chains();
}

void set_chained_launches(bool on) { chaining.store(on, std::memory_order_relaxed); }

}  // namespace cortado::gpu
