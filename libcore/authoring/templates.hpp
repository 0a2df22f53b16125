#pragma once
// netgen's built-in nets, written with NetBuilder: LeNet (Caffe's
// examples/mnist) and CaffeNet (models/bvlc_reference_caffenet), each as a
// TRAIN net, a TEST net (with Accuracy), a deploy net (Input ... Softmax "prob")
// or the combined train_test net with include rules that a `net:` solver uses.
#include <optional>
#include <string>
#include <vector>

namespace caffe {
class NetParameter;
}

namespace cortado::authoring {

enum class NetPhase { train, test, deploy, train_test };
NetPhase parse_net_phase(const std::string& s);  // train | test | deploy | train_test
const char* phase_name(NetPhase p);

// Unset fields take the template's defaults. `source`/`batch_size` are the
// data of the phase written (TRAIN for train_test); `test_source` and
// `test_batch_size` the TEST data when both phases are written.
struct TemplateOptions {
  NetPhase phase = NetPhase::train;
  std::optional<std::string> source, test_source;
  std::optional<int> batch_size, test_batch_size;
  std::optional<double> scale;
  std::optional<std::string> mean_file;
  std::vector<double> mean_value;
  std::optional<int> crop_size;
  std::optional<int> num_output;  // of the last InnerProduct (the classes)
  std::string rename_last;        // fine-tuning: a new name for that layer and its top
};

std::vector<std::string> template_names();  // lenet, caffenet
caffe::NetParameter build_template(const std::string& name, const TemplateOptions& options);

}  // namespace cortado::authoring
