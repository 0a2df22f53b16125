#include "net/state_rules.hpp"

#include <algorithm>

#include "caffe.pb.h"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

bool has_stage(const caffe::NetState& state, const std::string& stage) {
  return std::find(state.stage().begin(), state.stage().end(), stage) != state.stage().end();
}

}  // namespace

bool state_meets_rule(const caffe::NetState& state, const caffe::NetStateRule& rule,
                      const std::string& layer_name) {
  // Log phrases are Caffe's, numbers included, so logs compare line for line.
  if (rule.has_phase() && rule.phase() != state.phase()) {
    LOG_INFO("The NetState phase ({}) differed from the phase ({}) specified by a rule in layer {}",
             static_cast<int>(state.phase()), static_cast<int>(rule.phase()), layer_name);
    return false;
  }
  if (rule.has_min_level() && state.level() < rule.min_level()) {
    LOG_INFO("The NetState level ({}) is above the min_level ({}) specified by a rule in layer {}",
             state.level(), rule.min_level(), layer_name);
    return false;
  }
  if (rule.has_max_level() && state.level() > rule.max_level()) {
    LOG_INFO("The NetState level ({}) is above the max_level ({}) specified by a rule in layer {}",
             state.level(), rule.max_level(), layer_name);
    return false;
  }
  for (const auto& stage : rule.stage()) {
    if (!has_stage(state, stage)) {
      LOG_INFO("The NetState did not contain stage '{}' specified by a rule in layer {}", stage,
               layer_name);
      return false;
    }
  }
  for (const auto& stage : rule.not_stage()) {
    if (has_stage(state, stage)) {
      LOG_INFO("The NetState contained a not_stage '{}' specified by a rule in layer {}", stage,
               layer_name);
      return false;
    }
  }
  return true;
}

void filter_net(const caffe::NetParameter& in, caffe::NetParameter* out) {
  const caffe::NetState& state = in.state();
  out->CopyFrom(in);
  out->clear_layer();
  for (const auto& layer : in.layer()) {
    if (layer.include_size() > 0 && layer.exclude_size() > 0)
      throw Error("layer '" + layer.name() + "'",
                  "specify either include rules or exclude rules, not both");
    bool included = layer.include_size() == 0;
    for (int j = 0; included && j < layer.exclude_size(); ++j)
      if (state_meets_rule(state, layer.exclude(j), layer.name())) included = false;
    for (int j = 0; !included && j < layer.include_size(); ++j)
      if (state_meets_rule(state, layer.include(j), layer.name())) included = true;
    if (included) *out->add_layer() = layer;
  }
}

caffe::Phase parse_phase(const std::string& text, const std::string& where) {
  if (text == "TRAIN") return caffe::TRAIN;
  if (text == "TEST") return caffe::TEST;
  throw Error(where, "phase must be TRAIN or TEST, got '" + text + "'");
}

}  // namespace cortado
