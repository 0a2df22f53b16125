#pragma once
// parse_log --plot: the training outputs and every test output against
// iterations, drawn by gnuplot (run as a subprocess fed a script on stdin).
// Losses go on the left axis; other outputs (accuracy, ...) on a right axis
// of their own, since their units differ. The chart is written to a temporary
// name beside the target and renamed into place when gnuplot succeeds.
#include <string>

#include "authoring/log_table.hpp"

namespace cortado::authoring {

// `out_path` ends in .png, .svg or .pdf; `title` heads the chart.
void plot_run(const RunTables& run, const std::string& title, const std::string& out_path);

// An Error if plot_run could not write `out_path` (its format, its folder): asked
// before anything else is written.
void check_plot_path(const std::string& out_path);

// The gnuplot script plot_run feeds (for tests and for people who want to edit it).
std::string plot_script(const RunTables& run, const std::string& title, const std::string& terminal,
                        const std::string& output);

}  // namespace cortado::authoring
