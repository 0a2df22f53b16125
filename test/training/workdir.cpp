#include "workdir.hpp"

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/tool_runner.hpp"

namespace fs = std::filesystem;

namespace cortado::test {

Workdir::Workdir(const std::string& name)
    : path_(temp_dir(name)), previous_(fs::current_path().string()) {
  for (const char* db : {"fashion_mnist_train1000_lmdb", "fashion_mnist_test200_lmdb"})
    fs::create_directory_symlink(testdata(std::string("lmdb/") + db), fs::path(path_) / db);
  fs::copy_file(testdata("solvers/lenet_train_test.prototxt"),
                fs::path(path_) / "lenet_train_test.prototxt");
  fs::current_path(path_);
  // The tools these tests start run one OpenMP thread unless told otherwise: under
  // `ctest -j2` on two cores, two-thread runs spin against each other and crawl.
  ::setenv("OMP_NUM_THREADS", "1", 0);
}

Workdir::~Workdir() {
  std::error_code ec;
  fs::current_path(previous_, ec);
}

std::string Workdir::write(const std::string& name, const std::string& text) const {
  std::ofstream(fs::path(path_) / name) << text;
  return name;
}

std::string lenet_solver(int max_iter, int snapshot, const std::string& extra,
                         const std::string& net) {
  std::ostringstream s;
  s << "net: \"" << net << "\"\n"
    << "base_lr: 0.01\nmomentum: 0.9\nweight_decay: 0.0005\n"
    << "lr_policy: \"inv\"\ngamma: 0.0001\npower: 0.75\n"
    << "max_iter: " << max_iter << "\nsnapshot: " << snapshot << "\n"
    << "snapshot_prefix: \"lenet\"\nsolver_mode: CPU\nrandom_seed: 1701\n"
    << extra << "\n";
  return s.str();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

}  // namespace cortado::test
