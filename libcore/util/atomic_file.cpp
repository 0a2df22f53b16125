#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
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

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = temp_name_beside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path, "cannot write: " + errno_text());
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(path, "write failed: " + why);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(path, "write failed: " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(path, "cannot rename into place: " + why);
  }
}

AtomicDir::AtomicDir(const std::string& final_path, bool overwrite)
    : final_(final_path), overwrite_(overwrite) {
  std::error_code ec;
  if (fs::exists(final_, ec) && !overwrite_)
    throw Error(final_, "already exists (use --force to overwrite)");
  fs::path parent = fs::path(final_).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw Error(final_, "parent folder does not exist");
  temp_ = temp_name_beside(final_);
  if (!fs::create_directory(temp_, ec)) throw Error(final_, "cannot create: " + ec.message());
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
