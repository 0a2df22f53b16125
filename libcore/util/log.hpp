#pragma once
// Logging in glog's line format, "I1127 13:45:01.123456 4242 solver.cpp:239] text",
// so that Caffe's parse_log.py and people's grep habits keep working on our logs.
#define SPDLOG_ACTIVE_LEVEL SPDLOG_LEVEL_DEBUG
#include <spdlog/spdlog.h>

namespace cortado {
// Installs the glog-format logger on stderr (idempotent). Called by every tool's main.
void init_logging();
spdlog::logger* logger();
}  // namespace cortado

#define LOG_DEBUG(...) SPDLOG_LOGGER_DEBUG(::cortado::logger(), __VA_ARGS__)
#define LOG_INFO(...) SPDLOG_LOGGER_INFO(::cortado::logger(), __VA_ARGS__)
#define LOG_WARN(...) SPDLOG_LOGGER_WARN(::cortado::logger(), __VA_ARGS__)
#define LOG_ERROR(...) SPDLOG_LOGGER_ERROR(::cortado::logger(), __VA_ARGS__)
