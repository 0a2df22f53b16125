#pragma once
// The frame every tool's main() runs in: logging set up, CLI11 parse errors
// turned into usage errors (exit 2), Cortado errors into one line on stderr
// ("TOOL: error: file:line: what was expected", exit 1), never an abort.
#include <CLI/CLI.hpp>
#include <functional>

namespace cortado {

// `configure` adds the tool's flags to `app`; `run` does the work after parsing
// and returns the exit code.
int run_tool(int argc, char** argv, const char* name, const char* description,
             const std::function<void(CLI::App&)>& configure, const std::function<int()>& run);

}  // namespace cortado
