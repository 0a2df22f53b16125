#include "support/tool_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace cortado::test {

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

std::string testdata(const std::string& relative) {
  return std::string(CORTADO_TESTDATA) + "/" + relative;
}

namespace {
// This process's folder of test files, removed when the process exits (a ctest run
// starts hundreds of test processes: each left its files behind before). Only the
// process that made it removes it: a forked child exiting must not take its parent's
// files.
class ProcessTempRoot {
 public:
  ProcessTempRoot()
      : owner_(::getpid()),
        path_(fs::temp_directory_path() / ("cortado-test-" + std::to_string(owner_))) {}
  ~ProcessTempRoot() {
    if (::getpid() != owner_) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  pid_t owner_;
  fs::path path_;
};
}  // namespace

std::string temp_dir(const std::string& name) {
  static const ProcessTempRoot root;
  fs::path p = root.path() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

ToolResult run_tool(const std::string& tool, const std::string& args) {
  const std::string dir = temp_dir("_run");
  const std::string out = dir + "/out", err = dir + "/err";
  const std::string cmd = std::string(CORTADO_BIN_DIR) + "/" + tool + " " + args + " >" + out +
                          " 2>" + err + " </dev/null";
  int status = std::system(cmd.c_str());
  ToolResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace cortado::test
