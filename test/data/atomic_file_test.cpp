// util/atomic_file: what a failed or interrupted write leaves on disk, and targets
// that are not regular files.
#include "util/atomic_file.hpp"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/tool_runner.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado::test {
namespace {

int entries(const fs::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("write_file_atomic writes devices, pipes and links' targets; refuses folders and ''",
          "[data][atomic_file]") {
  const fs::path dir = temp_dir("atomic_special");
  // A FIFO stands for /dev/null and the like: the rename of a temporary would replace
  // it by a regular file.
  const fs::path fifo = dir / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string got;
  const pid_t reader = ::fork();
  REQUIRE(reader >= 0);
  if (reader == 0) {
    std::ifstream in(fifo);
    std::string line;
    std::getline(in, line);
    ::_exit(line == "through the pipe" ? 0 : 1);
  }
  write_file_atomic(fifo.string(), "through the pipe\n");
  int status = 0;
  REQUIRE(::waitpid(reader, &status, 0) == reader);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  struct stat st {};
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(entries(dir) == 1);

  // A link to a regular file stays a link; the file it points to gets the bytes.
  std::ofstream(dir / "target.txt") << "old";
  fs::create_symlink(dir / "target.txt", dir / "link.txt");
  write_file_atomic((dir / "link.txt").string(), "new");
  CHECK(fs::is_symlink(dir / "link.txt"));
  std::ifstream target(dir / "target.txt");
  std::string text;
  std::getline(target, text);
  CHECK(text == "new");
  fs::remove(dir / "target.txt");
  fs::remove(dir / "link.txt");

  CHECK_THROWS_WITH(write_file_atomic(dir.string(), "x"),
                    Catch::Contains("is a folder, expected a file"));
  CHECK_THROWS_WITH(write_file_atomic("", "x"), Catch::Contains("the output path is empty"));
  CHECK_THROWS_WITH(AtomicDir("", false), Catch::Contains("the output path is empty"));
  CHECK(entries(dir) == 1);
  fs::remove_all(dir);
}

TEST_CASE("An output may not be an input, hold one, or hold the current folder",
          "[data][atomic_file]") {
  const fs::path dir = temp_dir("atomic_spares");
  const std::string images = (dir / "images").string(), list = (dir / "list.txt").string();
  fs::create_directories(dir / "images" / "cats");
  std::ofstream(list) << "cats/a.png 0\n";
  // (only checks: nothing is written or removed here)
  CHECK_THROWS_WITH(check_output_spares(images, {images, list}),
                    Catch::Contains("is the input '" + images + "'"));
  CHECK_THROWS_WITH(check_output_spares(list, {images, list}), Catch::Contains("is the input"));
  CHECK_THROWS_WITH(check_output_spares(dir.string(), {images}), Catch::Contains("holds it"));
  CHECK_THROWS_WITH(check_output_spares(images + "/cats/..", {images}),
                    Catch::Contains("is the input"));
  CHECK_THROWS_WITH(check_output_spares(".", {}), Catch::Contains("is the current folder"));
  CHECK_THROWS_WITH(check_output_spares("..", {}), Catch::Contains("is the current folder"));
  CHECK_THROWS_WITH(check_output_spares("/", {}), Catch::Contains("is the current folder"));
  CHECK_THROWS_WITH(AtomicDir(".", true), Catch::Contains("is the current folder"));
  // Beside or inside an input is fine: images/train_lmdb, a mean file in the DB folder.
  CHECK_NOTHROW(check_output_spares(images + "/train_lmdb", {images, list}));
  CHECK_NOTHROW(check_output_spares((dir / "images_lmdb").string(), {images, list}));
  CHECK(fs::exists(list));
  fs::remove_all(dir);
}

TEST_CASE("A SIGTERM or SIGINT while an LMDB folder is written removes its temporary",
          "[data][atomic_file]") {
  const int sig = GENERATE(SIGTERM, SIGINT);
  INFO("signal " << sig);
  const fs::path dir = temp_dir("atomic_signal");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The default action, as in a tool (Catch2 or a parent shell may have set others).
    ::signal(sig, SIG_DFL);
    AtomicDir out((dir / "db").string(), false);
    std::ofstream(out.temp_path() + "/data.mdb") << "half of a database";
    std::ofstream(out.temp_path() + "/lock.mdb") << "lock";
    // and a subfolder, as create_lmdb's train/valid split writes, and images, as
    // retrieve_lmdb --export does
    const std::string part = out.temp_path() + "/train_lmdb";
    fs::create_directory(part);
    std::ofstream(part + "/data.mdb") << "half of the other";
    for (int i = 0; i < 300; ++i)  // more names than one getdents64 call returns
      std::ofstream(out.temp_path() + "/image_" + std::to_string(i) + ".png") << "png";
    ::raise(sig);
    ::_exit(3);  // not reached: the signal ends the process
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == sig);
  CHECK(entries(dir) == 0);
  fs::remove_all(dir);
}

}  // namespace cortado::test
