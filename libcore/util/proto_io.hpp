#pragma once
// Reading and writing protobuf files: text (prototxt) with line and column in
// errors, binary without protobuf's 64 MB default limit (VGG-16 is 528 MB).
#include <string>

namespace google::protobuf {
class Message;
}

namespace cortado {

// Text format. Errors: "<path>:<line>:<col>: <parser message>".
void read_text_proto(const std::string& path, google::protobuf::Message& msg);
void parse_text_proto(const std::string& text, const std::string& origin,
                      google::protobuf::Message& msg);
// Binary format. A truncated or foreign file is an Error naming the file and the message type.
void read_binary_proto(const std::string& path, google::protobuf::Message& msg);
bool parse_binary_proto(const std::string& bytes, google::protobuf::Message& msg);

// Both writers go through write_file_atomic.
void write_text_proto(const std::string& path, const google::protobuf::Message& msg);
void write_binary_proto(const std::string& path, const google::protobuf::Message& msg);
std::string to_text_proto(const google::protobuf::Message& msg);

}  // namespace cortado
