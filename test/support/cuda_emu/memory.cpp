#include "memory.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace cudaemu {
namespace {

constexpr size_t kReserved = size_t{64} << 30;  // address space, not memory
constexpr size_t kCapacity = size_t{16} << 30;  // what the emulated device reports, unless
                                                // CUDA_EMU_MEMORY_MB says less
constexpr size_t kAlign = 256;                  // cudaMalloc's alignment
constexpr size_t kPage = 4096;
// Every allocation is followed by at least this many bytes of a known pattern, checked
// whenever device access closes: a kernel or copy that writes past the end of its
// allocation is reported where it happened, not as a corrupted neighbour later.
constexpr size_t kCanary = 256;
constexpr unsigned char kCanaryByte = 0xa5;

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

struct Arena {
  std::mutex mutex;
  char* base = nullptr;
  size_t high = 0;  // [base, base + high) is mapped in; the rest is reserved only
  struct Used {
    size_t asked, reserved;  // bytes asked for; with the canary and alignment
  };
  std::map<size_t, size_t> free_runs;
  std::map<size_t, Used> used;
  size_t in_use = 0;
  int open = 0;
  std::map<const char*, size_t> pinned;  // start -> bytes
};

Arena& arena() {
  static Arena* a = [] {
    auto* r = new Arena;  // never freed: device memory outlives static destructors
    void* p =
        mmap(nullptr, kReserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "cuda_emu: cannot reserve the device address range\n");
      std::abort();
    }
    r->base = static_cast<char*>(p);
    return r;
  }();
  return *a;
}

void set_access(Arena& a, size_t from, size_t to, bool on) {
  if (to > from) mprotect(a.base + from, to - from, on ? PROT_READ | PROT_WRITE : PROT_NONE);
}

// The chained kernel running now, if any (kernels run one at a time).
struct Chained {
  bool running = false;
  bool closed = false;  // device memory closed: no thread has waited yet
  unsigned long long threads = 0, waits = 0;
};
Chained chained;

// Whether the device range is readable and writable now (with the arena's mutex held):
// a copy or kernel runs, and no chained kernel is before its wait. (cudaMalloc and
// cudaFree may come from another thread meanwhile.)
bool range_open(const Arena& a) { return a.open > 0 && !chained.closed; }

// A fault inside the device range is host code touching device memory, or a chained
// kernel touching it before its wait: say so, then let the handler before ours
// (Catch2's, or the default) report the crash.
struct sigaction previous_action;
void on_fault(int sig, siginfo_t* info, void* ctx) {
  Arena& a = arena();
  const char* addr = static_cast<const char*>(info->si_addr);
  if (addr >= a.base && addr < a.base + kReserved) {
    const char host[] =
        "cuda_emu: host code read or wrote device memory (a GPU would fault here too)\n";
    const char early[] =
        "cuda_emu: a chained kernel touched device memory before cudaGridDependencySynchronize "
        "(on a GPU it may run before the kernel it depends on has finished)\n";
    ssize_t ignored =
        chained.closed ? write(2, early, sizeof early - 1) : write(2, host, sizeof host - 1);
    (void)ignored;
  }
  sigaction(SIGSEGV, &previous_action, nullptr);
  (void)sig;
  (void)ctx;
}

// Catch2 installs its own handlers around each test case; ours goes back on top.
void keep_fault_handler() {
  struct sigaction now {};
  sigaction(SIGSEGV, nullptr, &now);
  if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == &on_fault) return;
  struct sigaction mine {};
  mine.sa_sigaction = &on_fault;
  mine.sa_flags = SA_SIGINFO;
  sigemptyset(&mine.sa_mask);
  sigaction(SIGSEGV, &mine, &previous_action);
}

void check_canary(Arena& a, size_t at, const Arena::Used& u) {
  const bool closed = !range_open(a);
  if (closed) set_access(a, at / kPage * kPage, round_up(at + u.reserved, kPage), true);
  const unsigned char* p = reinterpret_cast<unsigned char*>(a.base + at);
  for (size_t i = u.asked; i < u.reserved; ++i) {
    if (p[i] == kCanaryByte) continue;
    std::fprintf(stderr,
                 "cuda_emu: device memory written past the end of an allocation of %zu bytes "
                 "(%zu bytes after it); a GPU would corrupt its neighbour or fault\n",
                 u.asked, i - u.asked);
    std::abort();
  }
  if (closed) set_access(a, at / kPage * kPage, round_up(at + u.reserved, kPage), false);
}

}  // namespace

void* device_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  const size_t n = round_up(bytes, kAlign) + kCanary;
  if (a.in_use + n > device_capacity()) return nullptr;
  size_t at = SIZE_MAX;
  for (auto it = a.free_runs.begin(); it != a.free_runs.end(); ++it) {
    if (it->second < n) continue;
    at = it->first;
    const size_t rest = it->second - n;
    a.free_runs.erase(it);
    if (rest) a.free_runs[at + n] = rest;
    break;
  }
  if (at == SIZE_MAX) {
    at = a.high;
    const size_t new_high = round_up(a.high + n, kPage);
    if (new_high > kReserved) return nullptr;
    set_access(a, a.high, new_high, range_open(a));
    if (new_high > at + n) a.free_runs[at + n] = new_high - (at + n);
    a.high = new_high;
  }
  a.used[at] = Arena::Used{bytes, n};
  a.in_use += n;
  const bool open = range_open(a);
  if (!open) set_access(a, at / kPage * kPage, round_up(at + n, kPage), true);
  std::memset(a.base + at, 0xff, bytes);
  std::memset(a.base + at + bytes, kCanaryByte, n - bytes);
  if (!open) set_access(a, at / kPage * kPage, round_up(at + n, kPage), false);
  keep_fault_handler();
  return a.base + at;
}

bool device_free(void* p) {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  const size_t at = static_cast<size_t>(static_cast<char*>(p) - a.base);
  auto it = a.used.find(at);
  if (static_cast<char*>(p) < a.base || it == a.used.end()) return false;
  check_canary(a, at, it->second);
  size_t start = at, len = it->second.reserved;
  a.in_use -= len;
  a.used.erase(it);
  auto next = a.free_runs.find(start + len);
  if (next != a.free_runs.end()) {
    len += next->second;
    a.free_runs.erase(next);
  }
  auto prev = a.free_runs.lower_bound(start);
  if (prev != a.free_runs.begin()) {
    --prev;
    if (prev->first + prev->second == start) {
      start = prev->first;
      len += prev->second;
      a.free_runs.erase(prev);
    }
  }
  a.free_runs[start] = len;
  // Free pages are given back, so that opening and closing the range (mprotect) costs
  // what is allocated now, not the most that ever was.
  const size_t from = round_up(start, kPage), to = (start + len) / kPage * kPage;
  if (to > from) madvise(a.base + from, to - from, MADV_DONTNEED);
  return true;
}

bool is_device(const void* p, size_t bytes) {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  const char* c = static_cast<const char*>(p);
  if (c < a.base || c >= a.base + a.high) return false;
  const size_t at = static_cast<size_t>(c - a.base);
  auto it = a.used.upper_bound(at);
  if (it == a.used.begin()) return false;
  --it;
  return at + bytes <= it->first + it->second.asked;
}

size_t device_used() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.in_use;
}

size_t device_capacity() {
  static const size_t capacity = [] {
    const char* env = std::getenv("CUDA_EMU_MEMORY_MB");
    const size_t mb = env ? std::strtoull(env, nullptr, 10) : 0;
    return mb > 0 && (mb << 20) < kCapacity ? mb << 20 : kCapacity;
  }();
  return capacity;
}

void* pinned_alloc(size_t bytes) {
  void* p = std::aligned_alloc(kAlign, round_up(bytes ? bytes : 1, kAlign));
  if (!p) return nullptr;
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.pinned[static_cast<const char*>(p)] = bytes;
  return p;
}

bool pinned_free(void* p) {
  Arena& a = arena();
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    if (!a.pinned.erase(static_cast<const char*>(p))) return false;
  }
  std::free(p);
  return true;
}

bool is_pinned(const void* p) {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  const char* c = static_cast<const char*>(p);
  auto it = a.pinned.upper_bound(c);
  if (it == a.pinned.begin()) return false;
  --it;
  return c < it->first + it->second;
}

void begin_chained_kernel(unsigned long long threads) {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  chained = Chained{true, true, threads, 0};
  set_access(a, 0, a.high, false);
  keep_fault_handler();
}

void chained_kernel_waits() {
  if (!chained.running) return;  // started without chaining: a no-op, as on a GPU
  ++chained.waits;
  if (!chained.closed) return;
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  chained.closed = false;
  set_access(a, 0, a.high, true);
}

void end_chained_kernel() {
  Arena& a = arena();
  Chained c;
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    c = chained;
    chained = Chained{};
    if (c.closed) set_access(a, 0, a.high, true);
  }
  if (c.waits >= c.threads) return;
  std::fprintf(stderr,
               "cuda_emu: %llu of a chained kernel's %llu threads ended without "
               "cudaGridDependencySynchronize (on a GPU its end would not imply its "
               "predecessors' end)\n",
               c.threads - c.waits, c.threads);
  std::abort();
}

DeviceAccess::DeviceAccess() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  if (a.open++ == 0) set_access(a, 0, a.high, true);
}

DeviceAccess::~DeviceAccess() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  if (--a.open == 0) {
    for (const auto& [at, u] : a.used) check_canary(a, at, u);
    set_access(a, 0, a.high, false);
  }
  keep_fault_handler();
}

}  // namespace cudaemu
