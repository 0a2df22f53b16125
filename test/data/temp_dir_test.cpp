// The tests' temporary folders (support/tool_runner.hpp): each test process removes its
// own when it exits, and only its own.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "support/tool_runner.hpp"

namespace fs = std::filesystem;

namespace cortado::test {

// Run by the next test as a process of its own: prints its temporary folder.
TEST_CASE("temp_dir helper process", "[.temp_dir_child]") {
  std::cout << "folder " << fs::path(temp_dir("x")).parent_path().string() << std::endl;
}

TEST_CASE("A test process removes its temporary folder at exit, and only its own",
          "[data][temp_dir]") {
  // Another test process: its folder is gone once it has exited.
  const std::string cmd =
      std::string(CORTADO_BIN_DIR) + "/test_data \"[.temp_dir_child]\" 2>/dev/null";
  FILE* out = ::popen(cmd.c_str(), "r");
  REQUIRE(out != nullptr);
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, out)) text += buf;
  REQUIRE(::pclose(out) == 0);
  const auto at = text.find("folder ");
  REQUIRE(at != std::string::npos);
  const fs::path theirs = text.substr(at + 7, text.find('\n', at) - at - 7);
  CHECK(theirs.filename().string().rfind("cortado-test-", 0) == 0);
  CHECK_FALSE(fs::exists(theirs));

  // A forked child shares this process's folder and must not take it when it exits
  // normally (static destructors run).
  const fs::path mine = fs::path(temp_dir("mine")).parent_path();
  REQUIRE(fs::is_directory(mine));
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) std::exit(fs::is_directory(temp_dir("child")) ? 0 : 3);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(fs::is_directory(mine));
  CHECK(mine != theirs);
}

}  // namespace cortado::test
