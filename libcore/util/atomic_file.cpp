#include "util/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <random>
#include <sstream>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

std::string temp_name_beside(const std::string& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path p(path);
  std::ostringstream s;
  s << std::hex << rng();
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  return (dir / ("." + p.filename().string() + ".tmp-" + s.str())).string();
}

std::string errno_text() { return std::strerror(errno); }

// The temporaries being written, for the signal handler: a slot holds a few files,
// or one folder, removed with what is in it (two levels deep: an LMDB split, an
// export of images). Only calls that are safe in a handler: unlink, openat,
// getdents64, unlinkat (a path that is not there just fails). A path too long for a
// slot is not registered.
constexpr int kSlots = 8, kSlotPaths = 3, kPathBytes = 4096;
struct PendingSlot {
  std::atomic<bool> claimed{false};
  std::atomic<int> count{0};  // paths valid in `path`, published after they are written
  bool folder = false;        // path[0] is a folder
  char path[kSlotPaths][kPathBytes];
};
PendingSlot pending[kSlots];

struct DirEntry64 {  // the kernel's linux_dirent64
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

// Removes `name` (under parent_fd) and, `depth` levels deep, what it holds; true if
// anything went.
bool remove_tree(int parent_fd, const char* name, int depth) {
  bool removed = false;
  const int fd = ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    alignas(8) char buf[4096];
    for (int pass = 0; pass < 64; ++pass) {  // entries removed while listed may be skipped
      bool any = false;
      ::lseek(fd, 0, SEEK_SET);
      long n;
      while ((n = ::syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long at = 0; at < n;) {
          const auto* e = reinterpret_cast<const DirEntry64*>(buf + at);
          at += e->reclen;
          const char* entry = e->name;
          if (entry[0] == '.' && (entry[1] == 0 || (entry[1] == '.' && entry[2] == 0))) continue;
          if (::unlinkat(fd, entry, 0) == 0)
            any = true;
          else if (depth > 0 && remove_tree(fd, entry, depth - 1))
            any = true;
        }
      removed |= any;
      if (!any) break;
    }
    ::close(fd);
  }
  return (::unlinkat(parent_fd, name, AT_REMOVEDIR) == 0) || removed;
}

extern "C" void remove_pending_and_die(int sig) {
  const int saved_errno = errno;
  bool removed = false;
  for (PendingSlot& s : pending) {
    const int n = s.count.load(std::memory_order_acquire);
    if (n > 0 && s.folder)
      removed |= remove_tree(AT_FDCWD, s.path[0], 2);
    else
      for (int i = 0; i < n; ++i) removed |= ::unlink(s.path[i]) == 0;
  }
  errno = saved_errno;
  if (removed) {
    static const char kNote[] = "interrupted: unfinished output removed\n";
    ssize_t ignored = ::write(STDERR_FILENO, kNote, sizeof kNote - 1);
    (void)ignored;
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);  // the default action: the process ends by the signal, as it would have
}

// Where a signal has its default action now (not ignored, as under nohup, and not
// taken by the tool, as train takes SIGINT and SIGHUP while it trains), the handler
// above. Asked at every registration, since a tool's handlers come and go.
void install_signal_cleanup() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa {};
    sa.sa_handler = remove_pending_and_die;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

// Registers `paths` (or one folder) for removal on a signal; the slot, or -1 (all
// taken, or too long).
int add_pending(std::initializer_list<std::string> paths, bool folder) {
  install_signal_cleanup();
  if (paths.size() > size_t{kSlotPaths}) return -1;
  for (const std::string& p : paths)
    if (p.size() >= kPathBytes) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!pending[i].claimed.compare_exchange_strong(expected, true)) continue;
    int n = 0;
    for (const std::string& p : paths) std::memcpy(pending[i].path[n++], p.c_str(), p.size() + 1);
    pending[i].folder = folder;
    pending[i].count.store(n, std::memory_order_release);
    return i;
  }
  return -1;
}

void drop_pending(int slot) {
  if (slot < 0) return;
  pending[slot].count.store(0, std::memory_order_release);
  pending[slot].claimed.store(false, std::memory_order_release);
}

// Writes all of `bytes` to fd; false with errno set on failure.
bool write_all(int fd, std::string_view bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

// /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: N; else -1.
int stream_fd(const std::string& path) {
  if (path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const std::string p(prefix);
    if (path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
        path.find_first_not_of("0123456789", p.size()) == std::string::npos)
      return std::atoi(path.c_str() + p.size());
  }
  return -1;
}

// A device, pipe or unresolvable link: no temporary and no rename (which would
// replace it by a file); created if missing.
void write_special(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path, "cannot write: " + errno_text());
  if (!write_all(fd, bytes)) {
    const std::string why = errno_text();
    ::close(fd);
    throw Error(path, "write failed: " + why);
  }
  if (::close(fd) != 0) throw Error(path, "write failed: " + errno_text());
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw Error("the output path is empty");
  // The process's own streams: written to, at their position (a file redirected with
  // >> keeps what it had, and what the tool prints next follows).
  if (const int fd = stream_fd(path); fd >= 0) {
    if (!write_all(fd, bytes)) throw Error(path, "write failed: " + errno_text());
    return;
  }
  // Another symbolic link stays: its target is replaced, or written through where it
  // cannot be resolved (a link is never replaced by a file).
  std::error_code ec;
  if (fs::is_symlink(path, ec)) {
    const fs::path target = fs::canonical(path, ec);
    if (ec) return write_special(path, bytes);
    if (target.string() != path) return write_file_atomic(target.string(), bytes);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw Error(path, "is a folder, expected a file");
    if (!S_ISREG(st.st_mode)) return write_special(path, bytes);
  }
  const std::string tmp = temp_name_beside(path);
  const RemoveOnSignal on_signal({tmp}, false);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path, "cannot write: " + errno_text());
  auto fail = [&](const char* what) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(path, what + why);
  };
  if (!write_all(fd, bytes)) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("write failed: ");
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) fail("write failed: ");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename into place: ");
}

void check_output_path(const std::string& path) {
  if (path.empty()) throw Error("the output path is empty");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(path, "is a folder, expected a file");
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw Error(path, "cannot write: folder '" + parent.string() + "' does not exist");
  const std::string folder = parent.empty() ? "." : parent.string();
  if (::access(folder.c_str(), W_OK) != 0)
    throw Error(path, "cannot write: folder '" + folder + "' is not writable");
}

namespace {
// Whether `inner` is `outer` or inside it (both absolute and normalised).
bool within(const fs::path& inner, const fs::path& outer) {
  auto o = outer.begin(), i = inner.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (o->empty() && std::next(o) == outer.end()) break;  // a trailing '/'
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}
}  // namespace

void check_output_spares(const std::string& output, const std::vector<std::string>& inputs) {
  const fs::path out = resolved(output);
  std::error_code ec;
  if (within(fs::current_path(ec), out))
    throw Error(output, "is the current folder or holds it: refusing to write over it");
  for (const std::string& in : inputs)
    if (!in.empty() && within(resolved(in), out))
      throw Error(output, "is the input '" + in + "' or holds it: refusing to write over it");
}

// ("a/b/.." is "a": replacing it must replace a, not remove a and fail on a/b/..)
AtomicDir::AtomicDir(const std::string& final_path, bool overwrite)
    : final_(fs::path(final_path).lexically_normal().string()), overwrite_(overwrite) {
  if (final_path.empty()) throw Error("the output path is empty");
  while (final_.size() > 1 && final_.back() == '/') final_.pop_back();
  check_output_spares(final_, {});
  std::error_code ec;
  if (fs::exists(final_, ec) && !overwrite_)
    throw Error(final_, "already exists (use --force to overwrite)");
  fs::path parent = fs::path(final_).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw Error(final_, "parent folder does not exist");
  temp_ = temp_name_beside(final_);
  on_signal_.emplace(std::initializer_list<std::string>{temp_}, true);
  if (!fs::create_directory(temp_, ec)) throw Error(final_, "cannot create: " + ec.message());
}

RemoveOnSignal::RemoveOnSignal(std::initializer_list<std::string> paths, bool folder)
    : slot_(add_pending(paths, folder && paths.size() == 1)) {}

void RemoveOnSignal::release() {
  drop_pending(slot_);
  slot_ = -1;
}

AtomicDir::~AtomicDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicDir::commit() {
  std::error_code ec;
  if (fs::exists(final_, ec)) {
    if (!overwrite_) throw Error(final_, "already exists (use --force to overwrite)");
    fs::remove_all(final_, ec);
    if (ec) throw Error(final_, "cannot replace: " + ec.message());
  }
  fs::rename(temp_, final_, ec);
  if (ec) throw Error(final_, "cannot rename into place: " + ec.message());
  committed_ = true;
  on_signal_.reset();
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path, "no such file");
  if (fs::is_directory(path, ec)) throw Error(path, "is a folder, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open: " + errno_text());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cortado
