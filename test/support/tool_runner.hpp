#pragma once
// Runs a built Cortado executable for end-to-end tests and captures its output.
#include <string>

namespace cortado::test {

struct ToolResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `args` is a shell-quoted argument string, e.g. "--summary 'my db'".
ToolResult run_tool(const std::string& tool, const std::string& args);
std::string testdata(const std::string& relative);
// A fresh empty folder under this process's own folder in the system's temporary
// directory; all of them are removed when the process exits.
std::string temp_dir(const std::string& name);

}  // namespace cortado::test
