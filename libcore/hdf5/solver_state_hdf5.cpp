// Caffe's HDF5 solverstate (SGDSolver::SnapshotSolverStateToHDF5 and
// RestoreSolverStateFromHDF5), plus our exact-resume fields in "cortado_state".
#include "caffe.pb.h"
#include "hdf5/h5.hpp"
#include "hdf5/hdf5_io.hpp"
#include "util/error.hpp"

namespace cortado {

bool hdf5_supported() { return true; }

void require_hdf5(const std::string&) {}

void write_solver_state_hdf5(const std::string& path, const caffe::SolverState& state) {
  h5::NewFile file(path);
  file.write_int("iter", state.iter());
  file.write_string("learned_net", state.learned_net());
  file.write_int("current_step", state.current_step());
  const h5::Location history = file.create_group("history");
  for (int i = 0; i < state.history_size(); ++i) {
    const caffe::BlobProto& h = state.history(i);
    std::vector<int> shape;
    for (auto d : h.shape().dim()) shape.push_back(static_cast<int>(d));
    history.write_floats(std::to_string(i), shape, h.data().data());
  }
  caffe::SolverState extras = state;
  extras.clear_history();
  extras.clear_iter();
  extras.clear_learned_net();
  extras.clear_current_step();
  file.write_bytes("cortado_state", extras.SerializeAsString());
  file.commit();
}

void read_solver_state_hdf5(const std::string& path, caffe::SolverState* state) {
  state->Clear();
  const h5::Location file = h5::open_file(path);
  if (file.has("cortado_state") && !state->ParseFromString(file.read_bytes("cortado_state")))
    throw Error(file.where("cortado_state"), "is not a serialized SolverState (damaged?)");
  state->clear_history();
  state->set_iter(file.read_int("iter"));
  if (file.has("learned_net")) state->set_learned_net(file.read_string("learned_net"));
  state->set_current_step(file.read_int("current_step"));
  if (!file.has("history")) throw Error(path, "has no group 'history': not a Caffe solverstate");
  const h5::Location history = file.group("history");
  const int n = static_cast<int>(history.links().size());
  for (int i = 0; i < n; ++i) {
    const std::string name = std::to_string(i);
    if (!history.has(name))
      throw Error(history.where(), "holds " + std::to_string(n) + " links but no dataset " + name);
    caffe::BlobProto* h = state->add_history();
    size_t count = 1;
    for (int d : history.shape(name)) {
      h->mutable_shape()->add_dim(d);
      count *= static_cast<size_t>(d);
    }
    h->mutable_data()->Resize(static_cast<int>(count), 0.0f);
    history.read_floats(name, h->mutable_data()->mutable_data(), count);
  }
}

}  // namespace cortado
