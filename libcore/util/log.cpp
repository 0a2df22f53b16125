#include "util/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <mutex>

namespace cortado {
namespace {

// glog writes a single capital letter for the severity: I, W, E, F.
class GlogLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char c = 'I';
    switch (msg.level) {
      case spdlog::level::warn: c = 'W'; break;
      case spdlog::level::err: c = 'E'; break;
      case spdlog::level::critical: c = 'F'; break;
      default: c = 'I';
    }
    dest.push_back(c);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<GlogLevelFlag>();
  }
};

std::shared_ptr<spdlog::logger> make_logger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto lg = std::make_shared<spdlog::logger>("cortado", sink);
  auto fmt = std::make_unique<spdlog::pattern_formatter>();
  fmt->add_flag<GlogLevelFlag>('*');
  fmt->set_pattern("%*%m%d %H:%M:%S.%f %t %s:%#] %v");
  lg->set_formatter(std::move(fmt));
  // GLOG_minloglevel keeps its meaning: 0 = all, 1 = warnings up, 2 = errors up.
  lg->set_level(spdlog::level::info);
  if (const char* v = std::getenv("GLOG_minloglevel")) {
    int n = std::atoi(v);
    lg->set_level(n >= 2 ? spdlog::level::err : n == 1 ? spdlog::level::warn : spdlog::level::info);
  }
  if (std::getenv("CORTADO_DEBUG")) lg->set_level(spdlog::level::debug);
  lg->flush_on(spdlog::level::trace);
  return lg;
}

}  // namespace

spdlog::logger* logger() {
  static std::shared_ptr<spdlog::logger> lg = make_logger();
  return lg.get();
}

void init_logging() { (void)logger(); }

}  // namespace cortado
