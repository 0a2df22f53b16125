// Signals during train: SIGHUP writes a snapshot and training goes on; SIGINT
// writes one and the run stops cleanly with exit 0; resume continues from it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <regex>
#include <thread>

#include "support/tool_runner.hpp"
#include "workdir.hpp"

namespace fs = std::filesystem;
using namespace cortado::test;

namespace {

pid_t start_train(const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    const std::string tool = std::string(CORTADO_BIN_DIR) + "/train";
    execl(tool.c_str(), tool.c_str(), "--solver", "solver.prototxt", "--metrics", "m.jsonl",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Waits (up to a minute) until `ready` holds.
template <class F>
bool wait_for(F ready) {
  for (int i = 0; i < 600; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::vector<int> snapshot_iters() {
  std::vector<int> iters;
  std::regex name(R"(lenet_iter_(\d+)\.solverstate)");
  for (const auto& e : fs::directory_iterator(".")) {
    std::smatch m;
    const std::string f = e.path().filename().string();
    if (std::regex_match(f, m, name)) iters.push_back(std::stoi(m[1]));
  }
  std::sort(iters.begin(), iters.end());
  return iters;
}

}  // namespace

TEST_CASE("SIGHUP snapshots and goes on, SIGINT snapshots and stops, resume continues",
          "[training][signals]") {
  Workdir dir("signals");
  dir.write("solver.prototxt", lenet_solver(100000, 0, "display: 1"));
  const pid_t pid = start_train("train.log");
  REQUIRE(pid > 0);
  REQUIRE(wait_for([] { return count(read_text("m.jsonl"), "\"train\"") >= 2; }));
  kill(pid, SIGHUP);
  REQUIRE(wait_for([] { return !snapshot_iters().empty(); }));
  const int hup_iter = snapshot_iters().front();
  // Training goes on after SIGHUP.
  REQUIRE(wait_for([&] {
    return read_text("train.log").find("Iteration " + std::to_string(hup_iter + 2) + ",") !=
           std::string::npos;
  }));
  kill(pid, SIGINT);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  const std::string log = read_text("train.log");
  INFO(tail(log));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(log.find("Optimization stopped early.") != std::string::npos);
  const auto iters = snapshot_iters();
  REQUIRE(iters.size() == 2);
  const int stop_iter = iters.back();
  CHECK(stop_iter > hup_iter);
  CHECK(fs::exists("lenet_iter_" + std::to_string(stop_iter) + ".caffemodel"));

  dir.write("solver.prototxt", lenet_solver(stop_iter + 3, 0, "display: 1"));
  auto r = run_tool("resume", "--solver solver.prototxt --snapshot lenet_iter_" +
                                  std::to_string(stop_iter) + ".solverstate");
  INFO(tail(r.err));
  CHECK(r.exit_code == 0);
  CHECK(fs::exists("lenet_iter_" + std::to_string(stop_iter + 3) + ".caffemodel"));
  CHECK(r.err.find("Iteration " + std::to_string(stop_iter) + ", lr = ") != std::string::npos);
}
