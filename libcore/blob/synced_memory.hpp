#pragma once
// A buffer that lives on the host and, when the GPU backend is built, on the
// device too; each side is copied over lazily, only when the other side asks.
// Without CUDA only the host side exists.
#include <cstddef>

namespace cortado {

class SyncedMemory {
 public:
  SyncedMemory() = default;
  explicit SyncedMemory(size_t bytes) : size_(bytes) {}
  ~SyncedMemory();
  SyncedMemory(const SyncedMemory&) = delete;
  SyncedMemory& operator=(const SyncedMemory&) = delete;

  enum class Head { uninitialized, host, device, synced };

  const void* host_data();
  void* mutable_host_data();
  const void* device_data();
  void* mutable_device_data();
  size_t size() const { return size_; }
  Head head() const { return head_; }

 private:
  void to_host();
  void to_device();
  void* host_ = nullptr;
  void* device_ = nullptr;
  size_t size_ = 0;
  Head head_ = Head::uninitialized;
};

}  // namespace cortado
