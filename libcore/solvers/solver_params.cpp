#include "solvers/solver_params.hpp"

#include <filesystem>

#include "caffe.pb.h"
#include "hdf5/hdf5_io.hpp"
#include "solvers/lr_policy.hpp"
#include "solvers/update_rule.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

void upgrade_solver_type(caffe::SolverParameter* param, const std::string& path) {
  if (!param->has_solver_type()) return;
  if (param->has_type())
    throw Error(path, "sets both the deprecated solver_type (enum) and type (string); keep type");
  param->set_type(solver_type_name(*param));
  param->clear_solver_type();
}

void upgrade_snapshot_prefix(caffe::SolverParameter* param, const std::string& path) {
  std::error_code ec;
  if (!param->has_snapshot_prefix()) {
    param->set_snapshot_prefix(fs::path(path).replace_extension().string());
    LOG_INFO("snapshot_prefix was not specified and is set to {}", param->snapshot_prefix());
  } else if (fs::is_directory(param->snapshot_prefix(), ec)) {
    param->set_snapshot_prefix(
        (fs::path(param->snapshot_prefix()) / fs::path(path).stem()).string());
    LOG_INFO("snapshot_prefix is a directory and is set to {}", param->snapshot_prefix());
  }
}

void check_net_sources(const caffe::SolverParameter& p, const std::string& where) {
  const int train_sources =
      p.has_net() + p.has_net_param() + p.has_train_net() + p.has_train_net_param();
  if (train_sources == 0)
    throw Error(where, "names no net (expected one of net, net_param, train_net, train_net_param)");
  if (train_sources > 1)
    throw Error(where,
                "names more than one train net (use only one of net, net_param, train_net, "
                "train_net_param)");
  const int generic = p.has_net() + p.has_net_param();
  const int test_nets = p.test_net_size() + p.test_net_param_size();
  if (generic == 0 && p.test_iter_size() != test_nets)
    throw Error(where, "has " + std::to_string(test_nets) + " test net(s) but " +
                           std::to_string(p.test_iter_size()) +
                           " test_iter value(s): give one test_iter per test net");
  if (generic > 0 && p.test_iter_size() < test_nets)
    throw Error(where, "has " + std::to_string(test_nets) + " test_net(s) but only " +
                           std::to_string(p.test_iter_size()) +
                           " test_iter value(s): give one test_iter per test net");
  const int instances = generic > 0 ? p.test_iter_size() : test_nets;
  if (p.test_state_size() > 0 && p.test_state_size() != instances)
    throw Error(where, "has " + std::to_string(p.test_state_size()) + " test_state entries for " +
                           std::to_string(instances) + " test net(s): give none or one each");
  if (instances > 0 && p.test_interval() <= 0)
    throw Error(where, "has test nets but no test_interval > 0");
  for (int i = 0; i < p.test_iter_size(); ++i)
    if (p.test_iter(i) < 0) throw Error(where, "test_iter must not be negative");
}

}  // namespace

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void read_solver_params(const std::string& path, caffe::SolverParameter* param) {
  read_text_proto(path, *param);
  upgrade_solver_type(param, path);
  upgrade_snapshot_prefix(param, path);
}

void check_solver_params(const caffe::SolverParameter& p, const std::string& where) {
  check_net_sources(p, where);
  check_update_rule(p, where);
  check_lr_policy(p, where);
  if (p.average_loss() < 1) throw Error(where, "average_loss must be at least 1");
  if (p.iter_size() < 1) throw Error(where, "iter_size must be at least 1");
  if (p.max_iter() < 0) throw Error(where, "max_iter must not be negative");
  if (p.display() < 0 || p.snapshot() < 0 || p.test_interval() < 0)
    throw Error(where, "display, snapshot and test_interval must not be negative");
  if (p.snapshot_format() == caffe::SolverParameter::HDF5 && !hdf5_supported())
    throw Error(where,
                "snapshot_format HDF5: this build has no HDF5 support (rebuild with libhdf5-dev "
                "installed, CORTADO_HDF5=ON), use BINARYPROTO");
}

}  // namespace cortado
