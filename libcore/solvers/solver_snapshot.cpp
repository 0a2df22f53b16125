// Solver snapshots and resume: Caffe's binary .caffemodel + .solverstate pair,
// named <prefix>_iter_<N>, plus our exact-resume fields (numbers >= 10000); or, with
// snapshot_format: HDF5, Caffe's .caffemodel.h5 + .solverstate.h5 (libcore/hdf5/).
#include <filesystem>

#include "hdf5/hdf5_io.hpp"
#include "net/net.hpp"
#include "solvers/data_cursors.hpp"
#include "solvers/nonfinite.hpp"
#include "solvers/solver.hpp"
#include "solvers/update_rule.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"
#include "util/rng.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// learned_net as written (relative to the cwd, as Caffe), else beside the solverstate.
std::string find_learned_net(const std::string& learned_net, const std::string& state_path) {
  std::error_code ec;
  if (fs::exists(learned_net, ec)) return learned_net;
  const fs::path beside = fs::path(state_path).parent_path() / fs::path(learned_net).filename();
  const fs::path relative = fs::path(state_path).parent_path() / learned_net;
  if (fs::path(learned_net).is_relative() && fs::exists(relative, ec)) return relative.string();
  if (fs::exists(beside, ec)) return beside.string();
  throw Error(state_path, "its learned_net '" + learned_net +
                              "' exists neither from the current folder nor beside the "
                              "solverstate (give the weights with --weights)");
}

}  // namespace

std::string Solver::snapshot_filename(const std::string& extension) const {
  return param_.snapshot_prefix() + "_iter_" + std::to_string(iter_) + extension;
}

void Solver::snapshot() {
  const std::string bad = first_non_finite_param(*net_);
  if (!bad.empty())
    throw Error("iteration " + std::to_string(iter_),
                "the weights are not finite (" + bad + "); no snapshot written, the last one (" +
                    (last_state_.empty() ? std::string("none") : last_state_) + ") is kept");
  const bool hdf5 = param_.snapshot_format() == caffe::SolverParameter::HDF5;
  const std::string model = snapshot_filename(hdf5 ? ".caffemodel.h5" : ".caffemodel");
  if (hdf5) {
    LOG_INFO("Snapshotting to HDF5 file {}", model);
    net_->save_hdf5(model, param_.snapshot_diff());
  } else {
    LOG_INFO("Snapshotting to binary proto file {}", model);
    net_->save_caffemodel(model, param_.snapshot_diff());
  }
  caffe::SolverState state;
  fill_state(&state, model);
  const std::string state_file = snapshot_filename(hdf5 ? ".solverstate.h5" : ".solverstate");
  if (hdf5) {
    LOG_INFO("Snapshotting solver state to HDF5 file {}", state_file);
    write_solver_state_hdf5(state_file, state);
  } else {
    LOG_INFO("Snapshotting solver state to binary proto file {}", state_file);
    write_binary_proto(state_file, state);
  }
  last_snapshot_iter_ = iter_;
  last_model_ = model;
  last_state_ = state_file;
}

void Solver::fill_state(caffe::SolverState* state, const std::string& model) const {
  state->set_iter(iter_);
  state->set_learned_net(model);
  state->set_current_step(current_step_);
  for (const auto& h : rule_->history()) h->to_proto(state->add_history());
  save_data_cursors(*net_, 0, state);
  for (size_t i = 0; i < test_nets_.size(); ++i)
    save_data_cursors(*test_nets_[i], static_cast<int>(i) + 1, state);
  state->set_rng_state(save_global_rng_state());
  auto* window = state->mutable_loss_window();
  for (float l : losses_) window->add_loss(l);
  window->set_smoothed(smoothed_loss_);
  window->set_start_iter(loss_start_iter_);
}

void Solver::restore(const std::string& path, const std::string& weights) {
  LOG_INFO("Restoring previous solver status from {}", path);
  caffe::SolverState state;
  // Caffe's dispatch: a name ending in .h5 is an HDF5 solverstate (.solverstate.h5).
  if (ends_with(path, ".h5"))
    read_solver_state_hdf5(path, &state);
  else
    read_binary_proto(path, state);
  auto& history = rule_->history();
  if (state.history_size() != static_cast<int>(history.size()))
    throw Error(path, "has " + std::to_string(state.history_size()) + " history blobs; a " +
                          type() + " solver on net '" + net_->name() + "' keeps " +
                          std::to_string(history.size()) +
                          " (is it a snapshot of another net or solver type?)");
  for (size_t i = 0; i < history.size(); ++i)
    if (!history[i]->shape_equals(state.history(static_cast<int>(i))))
      throw Error(path, "history blob " + std::to_string(i) + " has shape " +
                            shape_string(proto_shape(state.history(static_cast<int>(i)))) +
                            ", the net's parameter has " + history[i]->shape_string() +
                            " (is it a snapshot of another net?)");
  if (state.iter() < 0 || state.current_step() < 0)
    throw Error(path, "iter " + std::to_string(state.iter()) + " and current_step " +
                          std::to_string(state.current_step()) +
                          " must not be negative (a damaged solverstate?)");
  if (!weights.empty()) {
    load_weights(weights);
  } else if (state.has_learned_net()) {
    const std::string model = find_learned_net(state.learned_net(), path);
    LOG_INFO("Copying weights from {}", model);
    net_->copy_trained_layers_from(model);
  }
  iter_ = state.iter();
  current_step_ = state.current_step();
  LOG_INFO("SGDSolver: restoring history");  // Caffe's words for every type
  for (size_t i = 0; i < history.size(); ++i) try {
      history[i]->from_proto(state.history(static_cast<int>(i)), false);
    } catch (const Error& e) {
      throw Error(path, "history blob " + std::to_string(i) + ": " + e.what());
    }
  restore_extras(state, path);
}

void Solver::restore_extras(const caffe::SolverState& state, const std::string& path) {
  int missing = restore_data_cursors(*net_, 0, state);
  for (size_t i = 0; i < test_nets_.size(); ++i)
    missing += restore_data_cursors(*test_nets_[i], static_cast<int>(i) + 1, state);
  if (missing > 0)
    LOG_WARN("{} keeps no data cursor for {} Data layer(s) (a solverstate written by Caffe?): "
             "they restart from the beginning of their databases, as in Caffe",
             path, missing);
  if (state.has_rng_state()) restore_global_rng_state(state.rng_state());
  if (state.has_loss_window()) {
    const auto& w = state.loss_window();
    losses_.assign(w.loss().begin(), w.loss().end());
    smoothed_loss_ = w.smoothed();
    loss_start_iter_ = w.start_iter();
    keep_losses_ = static_cast<int>(losses_.size()) <= param_.average_loss();
  }
}

}  // namespace cortado
