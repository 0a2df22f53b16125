#include <catch2/catch.hpp>

#include "caffe.pb.h"
#include "net/state_rules.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

using namespace cortado;

namespace {

caffe::NetState state(caffe::Phase phase, int level = 0, std::vector<std::string> stages = {}) {
  caffe::NetState s;
  s.set_phase(phase);
  s.set_level(level);
  for (auto& st : stages) s.add_stage(st);
  return s;
}

caffe::NetStateRule rule(const std::string& text) {
  caffe::NetStateRule r;
  parse_text_proto(text, "rule", r);
  return r;
}

std::vector<std::string> kept(const caffe::NetParameter& net, const caffe::NetState& s) {
  caffe::NetParameter in(net), out;
  *in.mutable_state() = s;
  filter_net(in, &out);
  std::vector<std::string> names;
  for (const auto& l : out.layer()) names.push_back(l.name());
  return names;
}

}  // namespace

TEST_CASE("state rules check phase, levels, stages and not_stages", "[engine][rules]") {
  CHECK(state_meets_rule(state(caffe::TRAIN), rule("phase: TRAIN"), "l"));
  CHECK_FALSE(state_meets_rule(state(caffe::TEST), rule("phase: TRAIN"), "l"));
  CHECK(state_meets_rule(state(caffe::TEST), rule(""), "l"));
  CHECK(state_meets_rule(state(caffe::TEST, 2), rule("min_level: 2"), "l"));
  CHECK_FALSE(state_meets_rule(state(caffe::TEST, 1), rule("min_level: 2"), "l"));
  CHECK(state_meets_rule(state(caffe::TEST, 3), rule("max_level: 3"), "l"));
  CHECK_FALSE(state_meets_rule(state(caffe::TEST, 4), rule("max_level: 3"), "l"));
  // Every stage of the rule must be in the state.
  CHECK(state_meets_rule(state(caffe::TEST, 0, {"a", "b"}), rule("stage: 'a' stage: 'b'"), "l"));
  CHECK_FALSE(state_meets_rule(state(caffe::TEST, 0, {"a"}), rule("stage: 'a' stage: 'b'"), "l"));
  // No not_stage may be in the state.
  CHECK(state_meets_rule(state(caffe::TEST, 0, {"a"}), rule("not_stage: 'b'"), "l"));
  CHECK_FALSE(state_meets_rule(state(caffe::TEST, 0, {"a", "b"}), rule("not_stage: 'b'"), "l"));
}

TEST_CASE("filter_net keeps layers by include and exclude rules", "[engine][rules]") {
  caffe::NetParameter net;
  parse_text_proto(R"(
    layer { name: "always" }
    layer { name: "train" include { phase: TRAIN } }
    layer { name: "test" include { phase: TEST } }
    layer { name: "either" include { phase: TRAIN } include { stage: "x" } }
    layer { name: "not_x" exclude { stage: "x" } }
    layer { name: "deep" include { min_level: 1 } }
  )", "net", net);
  using V = std::vector<std::string>;
  CHECK(kept(net, state(caffe::TRAIN)) == V{"always", "train", "either", "not_x"});
  CHECK(kept(net, state(caffe::TEST)) == V{"always", "test", "not_x"});
  CHECK(kept(net, state(caffe::TEST, 0, {"x"})) == V{"always", "test", "either"});
  CHECK(kept(net, state(caffe::TEST, 1)) == V{"always", "test", "not_x", "deep"});
}

TEST_CASE("a layer with both include and exclude rules is an error naming it", "[engine][rules]") {
  caffe::NetParameter net, out;
  parse_text_proto(R"(layer { name: "both" include { phase: TRAIN } exclude { phase: TEST } })",
                   "net", net);
  CHECK_THROWS_WITH(filter_net(net, &out), Catch::Contains("layer 'both'") &&
                                               Catch::Contains("either include rules or exclude"));
}
