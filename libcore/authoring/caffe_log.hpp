#pragma once
// Reads a Caffe training log (Caffe's own, or Cortado's: the same glog lines
// and phrases) into train and test tables, with the numbers Caffe's
// tools/extra/parse_log.py gives:
//  - Seconds count from the "Solving ..." line, with the year rollover rule of
//    parse_log.py; glog 0.6's year-prefixed lines (I20261127 ...) read too;
//  - a row starts at the first output line of an iteration and takes the
//    learning rate last logged; the first row takes the second row's rate;
//  - the values "nan", "-nan" and "inf" are kept (Caffe's regex drops them);
//  - outputs of test net #k > 0 get their own columns ("net<k>/accuracy").
#include <string>

#include "authoring/log_table.hpp"

namespace cortado::authoring {

// `log_year` is the year of lines without one (parse_log.py takes the file's ctime).
// Errors name `path`; a log without any "Iteration N" line is an error.
RunTables parse_caffe_log(const std::string& text, const std::string& path, int log_year);

// Reads the file; the year for classic glog lines comes from its ctime, as in parse_log.py.
RunTables parse_caffe_log_file(const std::string& path);

}  // namespace cortado::authoring
