#include "util/proto_io.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <climits>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace pb = google::protobuf;

namespace cortado {
namespace {

// Keeps the first error with its position; protobuf counts lines and columns from 0.
class FirstError : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber col, const std::string& message) override {
    if (!has_) {
      has_ = true;
      line_ = line + 1;
      col_ = col + 1;
      msg_ = message;
    }
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}
  bool has_ = false;
  int line_ = 0, col_ = 0;
  std::string msg_;
};

}  // namespace

void parse_text_proto(const std::string& text, const std::string& origin, pb::Message& msg) {
  FirstError errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &msg)) {
    if (errors.has_)
      throw Error(origin + ":" + std::to_string(errors.line_) + ":" + std::to_string(errors.col_),
                  errors.msg_ + " (expected a " + msg.GetTypeName() + " in protobuf text format)");
    throw Error(origin, "not a " + msg.GetTypeName() + " in protobuf text format");
  }
}

void read_text_proto(const std::string& path, pb::Message& msg) {
  parse_text_proto(read_file(path), path, msg);
}

bool parse_binary_proto(const std::string& bytes, pb::Message& msg) {
  pb::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  pb::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT_MAX);
  return msg.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
}

void read_binary_proto(const std::string& path, pb::Message& msg) {
  std::string bytes = read_file(path);
  if (bytes.size() >= static_cast<size_t>(INT_MAX))
    throw Error(path, "larger than 2 GB, the protobuf limit");
  if (!parse_binary_proto(bytes, msg))
    throw Error(path, "truncated or not a binary " + msg.GetTypeName());
}

std::string to_text_proto(const pb::Message& msg) {
  std::string out;
  pb::TextFormat::Printer printer;
  printer.PrintToString(msg, &out);
  return out;
}

void write_text_proto(const std::string& path, const pb::Message& msg) {
  write_file_atomic(path, to_text_proto(msg));
}

void write_binary_proto(const std::string& path, const pb::Message& msg) {
  std::string bytes;
  if (!msg.SerializeToString(&bytes)) throw Error(path, "cannot serialize " + msg.GetTypeName());
  write_file_atomic(path, bytes);
}

}  // namespace cortado
