#include "util/tool_main.hpp"

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {
// protobuf's own log lines would otherwise go to stderr beside ours; our errors say it better.
void quiet_protobuf(google::protobuf::LogLevel, const char*, int, const std::string&) {}

// An error is one line, also where a library's message has several (OpenCV's).
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// No option or argument of any tool means anything when given as "": it is a script's
// unset variable (--weights "$W"), and taken as "not given" it would silently train
// from scratch or write nowhere. Except --gpu: Caffe takes -gpu "" as not given (the
// solver's mode), and scripts pass --gpu "$GPU" that way.
void refuse_empty_values(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->check_name("--gpu")) continue;
    for (const std::string& value : opt->results())
      if (value.empty()) throw CLI::ValidationError(opt->get_name(), "an empty value");
  }
  for (const CLI::App* sub : app.get_subcommands()) refuse_empty_values(*sub);
}
}  // namespace

int run_tool(int argc, char** argv, const char* name, const char* description,
             const std::function<void(CLI::App&)>& configure, const std::function<int()>& run) {
  init_logging();
  google::protobuf::SetLogHandler(&quiet_protobuf);
  CLI::App app(description, name);
  configure(app);
  try {
    app.parse(argc, argv);
    refuse_empty_values(app);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: usage error: %s\nRun '%s --help' for the options.\n", name, e.what(),
                 name);
    return 2;
  }
  try {
    return run();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", name, one_line(e.what()).c_str());
  } catch (const InternalError& e) {
    std::fprintf(stderr, "%s: %s\n", name, one_line(e.what()).c_str());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: error: out of memory\n", name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name, one_line(e.what()).c_str());
  }
  return 1;
}

}  // namespace cortado
