// Our caffemodel and solverstate have the field layout of Caffe's golden ones:
// the same set of field paths (with wire types) as `protoc --decode_raw` would
// show, read at the wire level and named through the schema.
#include <catch2/catch.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <set>

#include "caffe.pb.h"
#include "support/tool_runner.hpp"
#include "workdir.hpp"

namespace pb = google::protobuf;
using namespace cortado::test;

namespace {

void collect(const std::string& bytes, const pb::Descriptor* type, const std::string& prefix,
             std::set<std::string>* paths) {
  pb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                              static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(INT32_MAX);
  while (uint32_t tag = in.ReadTag()) {
    const int number = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    const pb::FieldDescriptor* f = type ? type->FindFieldByNumber(number) : nullptr;
    const std::string path =
        prefix + (f ? f->name() : std::to_string(number)) + ":" + std::to_string(wire);
    paths->insert(path);
    uint64_t v64;
    uint32_t v32;
    std::string sub;
    switch (wire) {
      case 0: REQUIRE(in.ReadVarint64(&v64)); break;
      case 1: REQUIRE(in.ReadLittleEndian64(&v64)); break;
      case 5: REQUIRE(in.ReadLittleEndian32(&v32)); break;
      case 2:
        REQUIRE(in.ReadVarint32(&v32));
        REQUIRE(in.ReadString(&sub, static_cast<int>(v32)));
        if (f && f->type() == pb::FieldDescriptor::TYPE_MESSAGE)
          collect(sub, f->message_type(), path + ".", paths);
        break;
      default: FAIL("unexpected wire type " << wire << " at " << path);
    }
  }
}

std::set<std::string> field_paths(const std::string& file, const pb::Descriptor* type) {
  std::set<std::string> paths;
  collect(read_text(file), type, "", &paths);
  return paths;
}

}  // namespace

TEST_CASE("snapshots have the field layout of Caffe's golden snapshots", "[training][format]") {
  Workdir dir("format");
  dir.write("solver.prototxt", lenet_solver(2, 2, "display: 1"));
  auto r = run_tool("train", "--solver solver.prototxt");
  INFO(tail(r.err));
  REQUIRE(r.exit_code == 0);

  const auto ours_model = field_paths("lenet_iter_2.caffemodel", caffe::NetParameter::descriptor());
  const auto golden_model =
      field_paths(testdata("solvers/lenet_iter_500.caffemodel"), caffe::NetParameter::descriptor());
  CHECK(ours_model == golden_model);
  CHECK(golden_model.count("layer:2.blobs:2.data:2"));  // packed floats, as Caffe writes them

  // Our solverstate adds only its own fields (numbers >= 10000) to Caffe's.
  std::set<std::string> ours_state;
  for (const auto& p :
       field_paths("lenet_iter_2.solverstate", caffe::SolverState::descriptor())) {
    const int number = caffe::SolverState::descriptor()->FindFieldByName(p.substr(0, p.find(':')))
                           ? caffe::SolverState::descriptor()
                                 ->FindFieldByName(p.substr(0, p.find(':')))
                                 ->number()
                           : 0;
    if (number < 10000) ours_state.insert(p);
  }
  const auto golden_state = field_paths(testdata("solvers/lenet_iter_500.solverstate"),
                                        caffe::SolverState::descriptor());
  CHECK(ours_state == golden_state);
}
