#pragma once
// The one way Cortado writes a file: into a temporary name beside the target,
// flushed to disk, then renamed over it. A crash or a kill leaves either the old
// file or the new one, never half of one. A SIGINT, SIGTERM or SIGHUP that ends the
// process (one no handler of the tool's takes) also removes the temporaries being
// written. A target that is a device or a pipe (/dev/null, /dev/stdout) is written
// straight to: there is no file to replace.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cortado {

void write_file_atomic(const std::string& path, std::string_view bytes);

// Whether write_file_atomic could write `path`: not empty, not a folder, in a folder
// that exists. A tool writing several files asks first for each, so that a bad last
// path does not leave the first files written.
void check_output_path(const std::string& path);

// An output must not be (or be a folder holding) one of the tool's `inputs`, the
// current folder, or a folder above it: replacing it (--force) or writing it would
// destroy what the tool reads or the user's working folder. An Error naming both if it
// is. AtomicDir asks for the current folder itself; tools add their inputs.
void check_output_spares(const std::string& output, const std::vector<std::string>& inputs);

// While alive, `paths` (up to three files; or, with `folder`, one folder and all it
// holds two levels down) are removed if SIGINT, SIGTERM or SIGHUP ends the process
// (see above). For temporaries written other than by write_file_atomic or AtomicDir.
class RemoveOnSignal {
 public:
  RemoveOnSignal(std::initializer_list<std::string> paths, bool folder);
  ~RemoveOnSignal() { release(); }
  RemoveOnSignal(const RemoveOnSignal&) = delete;
  RemoveOnSignal& operator=(const RemoveOnSignal&) = delete;
  void release();  // written whole: keep them

 private:
  int slot_ = -1;
};

// For directories (LMDB): a fresh temporary directory beside `final_path`,
// renamed into place by commit(); removed by the destructor if never committed.
class AtomicDir {
 public:
  AtomicDir(const std::string& final_path, bool overwrite);
  ~AtomicDir();
  AtomicDir(const AtomicDir&) = delete;
  AtomicDir& operator=(const AtomicDir&) = delete;
  const std::string& temp_path() const { return temp_; }
  void commit();

 private:
  std::string final_, temp_;
  bool overwrite_, committed_ = false;
  std::optional<RemoveOnSignal> on_signal_;  // itself and what is written in it
};

// Reads a whole file; a missing or unreadable file is an Error naming it.
std::string read_file(const std::string& path);

}  // namespace cortado
