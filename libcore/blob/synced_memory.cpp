#include "blob/synced_memory.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#include "blob/device_memory.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {
// 64-byte alignment keeps Eigen's and the compiler's AVX loads aligned.
void* aligned_zeroed(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!p)  // a one-line error with the size rather than a bare bad_alloc
    throw Error("out of memory: cannot allocate " + std::to_string(bytes) +
                " bytes of host memory for a blob");
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return p;
}
}  // namespace

SyncedMemory::~SyncedMemory() {
  std::free(host_);
  if (device_) device::free(device_);
}

void SyncedMemory::to_host() {
  switch (head_) {
    case Head::uninitialized:
      host_ = aligned_zeroed(size_);
      head_ = Head::host;
      break;
    case Head::device:
      if (!host_) host_ = aligned_zeroed(size_);
      device::copy_to_host(host_, device_, size_);
      head_ = Head::synced;
      break;
    case Head::host:
    case Head::synced:
      break;
  }
}

void SyncedMemory::to_device() {
  switch (head_) {
    case Head::uninitialized:
      device_ = device::alloc_zeroed(size_);
      head_ = Head::device;
      break;
    case Head::host:
      if (!device_) device_ = device::alloc_zeroed(size_);
      device::copy_to_device(device_, host_, size_);
      head_ = Head::synced;
      break;
    case Head::device:
    case Head::synced:
      break;
  }
}

const void* SyncedMemory::host_data() {
  to_host();
  return host_;
}

void* SyncedMemory::mutable_host_data() {
  to_host();
  head_ = Head::host;
  return host_;
}

const void* SyncedMemory::device_data() {
  to_device();
  return device_;
}

void* SyncedMemory::mutable_device_data() {
  to_device();
  head_ = Head::device;
  return device_;
}

}  // namespace cortado
