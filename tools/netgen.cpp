// netgen: writes net and solver prototxts — from a NetSpec-style spec file,
// from the built-in LeNet and CaffeNet templates, or a solver from flags.
#include <cstdio>
#include <string>

#include "authoring/solver_builder.hpp"
#include "authoring/spec_reader.hpp"
#include "authoring/templates.hpp"
#include "caffe.pb.h"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"
#include "util/tool_main.hpp"

namespace au = cortado::authoring;

namespace {

struct Flags {
  std::string spec, name, out, phase = "train", out_train, out_test;
  au::TemplateOptions tmpl;
  au::SolverOptions solver;
};

void emit(const google::protobuf::Message& msg, const std::string& path) {
  if (path.empty())
    std::fputs(cortado::to_text_proto(msg).c_str(), stdout);
  else
    cortado::write_text_proto(path, msg);
}

int run_template(const std::string& which, Flags& f) {
  if (f.out_train.empty() != f.out_test.empty())
    throw cortado::Error("--out-train", "--out-train and --out-test go together");
  if (!f.out_train.empty()) {
    if (!f.out.empty()) throw cortado::Error("-o", "give either -o or --out-train/--out-test");
    // The cookbook's two files: TRAIN with --source/--batch-size, TEST with --test-*.
    au::TemplateOptions train = f.tmpl, test = f.tmpl;
    train.phase = au::NetPhase::train;
    test.phase = au::NetPhase::test;
    test.source.reset();
    test.batch_size.reset();
    caffe::NetParameter train_net = au::build_template(which, train);
    caffe::NetParameter test_net = au::build_template(which, test);
    cortado::check_output_path(f.out_test);  // before the first file is written
    emit(train_net, f.out_train);
    emit(test_net, f.out_test);
    return 0;
  }
  f.tmpl.phase = au::parse_net_phase(f.phase);
  emit(au::build_template(which, f.tmpl), f.out);
  return 0;
}

void template_flags(CLI::App* sub, Flags& f) {
  auto& t = f.tmpl;
  sub->add_option("--phase", f.phase, "train, test, deploy or train_test (both, with include rules)")
      ->check(CLI::IsMember({"train", "test", "deploy", "train_test", "TRAIN", "TEST"}));
  sub->add_option("--source", t.source, "LMDB the Data layer reads (of the phase written; TRAIN's with --out-train)");
  sub->add_option("--test-source", t.test_source, "LMDB of the TEST Data layer when both phases are written");
  sub->add_option("--batch-size", t.batch_size, "batch size (deploy: the Input's first dimension)");
  sub->add_option("--test-batch-size", t.test_batch_size, "batch size of the TEST net when both are written");
  sub->add_option("--mean-file", t.mean_file, "mean.binaryproto subtracted from the input");
  sub->add_option("--mean-value", t.mean_value, "per-channel mean values (repeat, one per channel)");
  sub->add_option("--crop-size", t.crop_size, "crop the input to this square size");
  sub->add_option("--num-output", t.num_output, "outputs of the last layer (the number of classes)");
  sub->add_option("--scale", t.scale, "input scale factor (LeNet: 0.00390625 = 1/256)");
  sub->add_option("--rename-last", t.rename_last, "new name for the last layer (fine-tuning)");
  sub->add_option("-o,--out", f.out, "prototxt to write (default: stdout)");
  sub->add_option("--out-train", f.out_train, "write the TRAIN net here (with --out-test)");
  sub->add_option("--out-test", f.out_test, "write the TEST net here (with --out-train)");
}

void solver_flags(CLI::App* sub, Flags& f) {
  auto& s = f.solver;
  sub->add_option("--net", s.net, "train_test net prototxt (TRAIN and TEST phases in one file)");
  sub->add_option("--train-net", s.train_net, "TRAIN net prototxt");
  sub->add_option("--test-net", s.test_net, "TEST net prototxt (repeat for several)");
  sub->add_option("--test-iter", s.test_iter, "batches per test, one per test net");
  sub->add_option("--test-interval", s.test_interval, "test every N iterations");
  sub->add_option("--base-lr", s.base_lr, "base learning rate");
  sub->add_option("--lr-policy", s.lr_policy, "fixed (default), step, exp, inv, multistep, poly, sigmoid");
  sub->add_option("--gamma", s.gamma, "lr policy gamma (step, exp, inv, multistep, sigmoid)");
  sub->add_option("--power", s.power, "lr policy power (inv, poly)");
  sub->add_option("--stepsize", s.stepsize, "lr policy step size (step, sigmoid)");
  sub->add_option("--stepvalue", s.stepvalue, "multistep iterations (repeat)");
  sub->add_option("--momentum", s.momentum, "momentum");
  sub->add_option("--weight-decay", s.weight_decay, "weight decay");
  sub->add_option("--max-iter", s.max_iter, "iterations to train");
  sub->add_option("--display", s.display, "log the loss every N iterations");
  sub->add_option("--snapshot", s.snapshot, "snapshot every N iterations");
  sub->add_option("--snapshot-prefix", s.snapshot_prefix, "snapshot file prefix");
  sub->add_option("--type", s.type, "SGD, Nesterov, AdaGrad, RMSProp, AdaDelta or Adam");
  sub->add_option("--solver-mode", s.solver_mode, "CPU or GPU");
  sub->add_option("--random-seed", s.random_seed, "seed for reproducible runs");
  sub->add_option("-o,--out", f.out, "solver prototxt to write (default: stdout)");
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App* spec = nullptr;
  CLI::App* solver = nullptr;
  std::vector<CLI::App*> templates;
  return cortado::run_tool(
      argc, argv, "netgen",
      "Writes net and solver prototxts:\n"
      "  netgen spec NET.spec [-o OUT.prototxt]   a net from a NetSpec-style spec file\n"
      "  netgen lenet|caffenet [flags]            a built-in net\n"
      "  netgen solver [flags]                    a solver\n"
      "Output goes to stdout unless -o is given.",
      [&](CLI::App& app) {
        app.require_subcommand(1);
        spec = app.add_subcommand("spec", "net from a spec file (NetSpec in its own words)");
        spec->add_option("SPEC", f.spec, "spec file")->required();
        spec->add_option("--name", f.name, "the net's name");
        spec->add_option("-o,--out", f.out, "prototxt to write (default: stdout)");
        for (const auto& t : au::template_names()) {
          templates.push_back(app.add_subcommand(t, "the built-in " + t + " net"));
          template_flags(templates.back(), f);
        }
        solver = app.add_subcommand("solver", "solver prototxt from flags");
        solver_flags(solver, f);
      },
      [&] {
        if (spec->parsed()) {
          emit(au::read_spec_file(f.spec, f.name), f.out);
          return 0;
        }
        if (solver->parsed()) {
          emit(au::build_solver(f.solver), f.out);
          return 0;
        }
        for (auto* t : templates)
          if (t->parsed()) return run_template(t->get_name(), f);
        return 2;
      });
}
