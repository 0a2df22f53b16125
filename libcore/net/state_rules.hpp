#pragma once
// Which layers a net keeps for a given NetState (phase, level, stages), with
// Caffe's rules: a layer with include rules is kept when any of them is met;
// a layer with exclude rules is dropped when any of them is met; a rule is met
// when the phase matches, min_level <= level <= max_level, the state has every
// `stage` and none of the `not_stage`s.
#include <string>

namespace caffe {
enum Phase : int;
class NetParameter;
class NetState;
class NetStateRule;
}  // namespace caffe

namespace cortado {

bool state_meets_rule(const caffe::NetState& state, const caffe::NetStateRule& rule,
                      const std::string& layer_name);

// Copies `in` to `out` without the layers the state rejects. A layer with both
// include and exclude rules is an Error naming it.
void filter_net(const caffe::NetParameter& in, caffe::NetParameter* out);

// "TRAIN" or "TEST" (as Caffe's --phase flag); anything else is an Error naming `where`.
caffe::Phase parse_phase(const std::string& text, const std::string& where);

}  // namespace cortado
