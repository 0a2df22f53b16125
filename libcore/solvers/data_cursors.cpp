#include "solvers/data_cursors.hpp"

#include "caffe.pb.h"
#include "data/prefetch.hpp"
#include "net/net.hpp"
#include "util/rng.hpp"

namespace cortado {
namespace {

std::vector<PrefetchingDataLayer*> data_layers(const Net& net) {
  std::vector<PrefetchingDataLayer*> out;
  for (const auto& layer : net.layers())
    if (auto* d = dynamic_cast<PrefetchingDataLayer*>(layer.get())) out.push_back(d);
  return out;
}

}  // namespace

void seed_data_layers(Net& net) {
  for (auto* d : data_layers(net)) d->seed(global_rng()());
}

void save_data_cursors(const Net& net, int net_id, caffe::SolverState* state) {
  for (auto* d : data_layers(net)) {
    auto* cursor = state->add_data_cursor();
    cursor->set_net(net_id);
    cursor->set_layer(d->name());
    cursor->set_state(d->save_state());
    cursor->set_position(d->position());
  }
}

int restore_data_cursors(Net& net, int net_id, const caffe::SolverState& state) {
  int missing = 0;
  for (auto* d : data_layers(net)) {
    const caffe::DataCursor* found = nullptr;
    for (const auto& c : state.data_cursor())
      if (c.net() == net_id && c.layer() == d->name()) found = &c;
    if (found)
      d->restore_state(found->state());
    else
      ++missing;
  }
  return missing;
}

}  // namespace cortado
