#include "authoring/templates.hpp"

#include "authoring/net_builder.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"

namespace cortado::authoring {
namespace {

Value enum_(const char* name) { return Value::enum_name(name); }
Value filler(const char* type) { return Dict{{"type", type}}; }
Value gaussian(double std) { return Dict{{"type", "gaussian"}, {"std", std}}; }
Value constant(double v) { return Dict{{"type", "constant"}, {"value", v}}; }

// What one Data layer reads.
struct DataSpec {
  std::string source;
  int batch_size;
  bool mirror;
  caffe::Phase phase;
};

// Settings both templates resolve from the options the same way.
struct Resolved {
  const TemplateOptions& o;
  bool has(NetPhase p) const { return o.phase == p; }
  bool deploy() const { return o.phase == NetPhase::deploy; }
  bool writes_train() const { return has(NetPhase::train) || has(NetPhase::train_test); }
  bool writes_test() const { return has(NetPhase::test) || has(NetPhase::train_test); }

  DataSpec train(const std::string& src, int batch, bool mirror) const {
    return {o.source.value_or(src), o.batch_size.value_or(batch), mirror, caffe::TRAIN};
  }
  DataSpec test(const std::string& src, int batch) const {
    // A TEST-only net takes --source/--batch-size; with both phases those are TRAIN's.
    const bool alone = has(NetPhase::test);
    std::string s = o.test_source.value_or(alone ? o.source.value_or(src) : src);
    int b = o.test_batch_size.value_or(alone ? o.batch_size.value_or(batch) : batch);
    return {s, b, false, caffe::TEST};
  }
  Dict transform(std::optional<double> scale, std::optional<std::string> mean_file,
                 std::optional<int> crop, bool mirror) const {
    Dict t;
    if (mirror) t.emplace_back("mirror", true);
    if (auto c = o.crop_size ? o.crop_size : crop) t.emplace_back("crop_size", *c);
    if (auto m = o.mean_file ? o.mean_file : mean_file) t.emplace_back("mean_file", *m);
    if (!o.mean_value.empty()) {
      List values(o.mean_value.begin(), o.mean_value.end());
      t.emplace_back("mean_value", values);
    }
    if (auto s = o.scale ? o.scale : scale) t.emplace_back("scale", *s);
    return t;
  }
  std::string last_name(const std::string& fallback) const {
    return o.rename_last.empty() ? fallback : o.rename_last;
  }
};

Kwargs data_kwargs(const std::string& layer_name, const DataSpec& d, const Dict& transform,
                   bool with_rule) {
  Kwargs k{{"name", layer_name}, {"ntop", 2}};
  if (with_rule)
    k.push_back({"include", Dict{{"phase", enum_(d.phase == caffe::TRAIN ? "TRAIN" : "TEST")}}});
  if (!transform.empty()) k.push_back({"transform_param", transform});
  k.push_back({"source", d.source});
  k.push_back({"batch_size", d.batch_size});
  k.push_back({"backend", enum_("LMDB")});
  return k;
}

Value learnable_params(bool decay) {
  if (!decay) return List{Dict{{"lr_mult", 1}}, Dict{{"lr_mult", 2}}};
  return List{Dict{{"lr_mult", 1}, {"decay_mult", 1}}, Dict{{"lr_mult", 2}, {"decay_mult", 0}}};
}

// The Data layer of each phase written (with include rules when both are), or the
// deploy Input layer; their tops are "data" and "label" (no label in deploy).
template <typename TransformFn>
void add_inputs(NetBuilder& n, const Resolved& r, const std::string& layer_name, const DataSpec& tr,
                const DataSpec& te, TransformFn transform, const std::vector<int>& deploy_shape) {
  if (r.deploy()) {
    List dims(deploy_shape.begin(), deploy_shape.end());
    n.add("data", "Input", {}, {{"shape", Dict{{"dim", dims}}}});
    return;
  }
  const bool both = r.has(NetPhase::train_test);
  if (r.writes_train())
    n.add_layer({"data", "label"}, "Data", {}, data_kwargs(layer_name, tr, transform(tr), both));
  if (r.writes_test())
    n.add_layer({"data", "label"}, "Data", {}, data_kwargs(layer_name, te, transform(te), both));
}

// Accuracy (TEST only) and the loss, or Softmax "prob" for deploy.
void add_outputs(NetBuilder& n, const Resolved& r, Top scores) {
  if (r.deploy()) {
    n.add("prob", "Softmax", {scores});
    return;
  }
  if (r.writes_test()) {
    Kwargs k;
    if (r.has(NetPhase::train_test)) k.push_back({"include", Dict{{"phase", enum_("TEST")}}});
    n.add("accuracy", "Accuracy", {scores, n["label"]}, k);
  }
  n.add("loss", "SoftmaxWithLoss", {scores, n["label"]});
}

caffe::NetParameter lenet(const TemplateOptions& o) {
  Resolved r{o};
  NetBuilder n("LeNet");
  auto transform = [&](const DataSpec&) { return r.transform(0.00390625, std::nullopt, std::nullopt, false); };
  const int side = o.crop_size.value_or(28);
  add_inputs(n, r, "mnist", r.train("train_lmdb", 64, false), r.test("test_lmdb", 100), transform,
             {o.batch_size.value_or(64), 1, side, side});
  // Caffe's LeNet: learning-rate multipliers 1 and 2, xavier weights, zero biases.
  auto learn = [&](Kwargs k) {
    if (!r.deploy()) {
      k.insert(k.begin(), {"param", learnable_params(false)});
      k.push_back({"weight_filler", filler("xavier")});
      k.push_back({"bias_filler", filler("constant")});
    }
    return k;
  };
  n.add("conv1", "Convolution", {n["data"]}, learn({{"num_output", 20}, {"kernel_size", 5}, {"stride", 1}}));
  n.add("pool1", "Pooling", {n["conv1"]}, {{"pool", enum_("MAX")}, {"kernel_size", 2}, {"stride", 2}});
  n.add("conv2", "Convolution", {n["pool1"]}, learn({{"num_output", 50}, {"kernel_size", 5}, {"stride", 1}}));
  n.add("pool2", "Pooling", {n["conv2"]}, {{"pool", enum_("MAX")}, {"kernel_size", 2}, {"stride", 2}});
  n.add("ip1", "InnerProduct", {n["pool2"]}, learn({{"num_output", 500}}));
  n.add("relu1", "ReLU", {n["ip1"]}, {{"in_place", true}});
  Top scores = n.add(r.last_name("ip2"), "InnerProduct", {n["relu1"]},
                     learn({{"num_output", o.num_output.value_or(10)}}));
  add_outputs(n, r, scores);
  return n.net();
}

caffe::NetParameter caffenet(const TemplateOptions& o) {
  Resolved r{o};
  NetBuilder n("CaffeNet");
  const std::string mean = "data/ilsvrc12/imagenet_mean.binaryproto";
  auto transform = [&](const DataSpec& d) {
    return r.transform(std::nullopt, o.mean_value.empty() ? std::optional<std::string>(mean) : std::nullopt,
                       227, d.mirror);
  };
  const int side = o.crop_size.value_or(227);
  add_inputs(n, r, "data", r.train("examples/imagenet/ilsvrc12_train_lmdb", 256, true),
             r.test("examples/imagenet/ilsvrc12_val_lmdb", 50), transform,
             {o.batch_size.value_or(10), 3, side, side});
  // The reference model: gaussian weights, biases 0 or 1, no weight decay on biases.
  auto learn = [&](Kwargs k, double std, double bias) {
    if (!r.deploy()) {
      k.insert(k.begin(), {"param", learnable_params(true)});
      k.push_back({"weight_filler", gaussian(std)});
      k.push_back({"bias_filler", constant(bias)});
    }
    return k;
  };
  auto conv = [&](const std::string& name, Top in, int out, int kernel, int stride, int pad, int group,
                  double bias) {
    Kwargs k{{"num_output", out}};
    if (pad) k.push_back({"pad", pad});
    k.push_back({"kernel_size", kernel});
    if (group > 1) k.push_back({"group", group});
    if (stride > 1) k.push_back({"stride", stride});
    n.add(name, "Convolution", {in}, learn(k, 0.01, bias));
    return n.add("relu" + name.substr(4), "ReLU", {n[name]}, {{"in_place", true}});
  };
  auto pool = [&](const std::string& name, Top in) {
    return n.add(name, "Pooling", {in}, {{"pool", enum_("MAX")}, {"kernel_size", 3}, {"stride", 2}});
  };
  auto lrn = [&](const std::string& name, Top in) {
    return n.add(name, "LRN", {in}, {{"local_size", 5}, {"alpha", 0.0001}, {"beta", 0.75}});
  };
  auto fc = [&](const std::string& idx, Top in) {
    n.add("fc" + idx, "InnerProduct", {in}, learn({{"num_output", 4096}}, 0.005, 1));
    n.add("relu" + idx, "ReLU", {n["fc" + idx]}, {{"in_place", true}});
    return n.add("drop" + idx, "Dropout", {n["relu" + idx]}, {{"dropout_ratio", 0.5}, {"in_place", true}});
  };
  Top x = conv("conv1", n["data"], 96, 11, 4, 0, 1, 0);
  x = lrn("norm1", pool("pool1", x));
  x = conv("conv2", x, 256, 5, 1, 2, 2, 1);
  x = lrn("norm2", pool("pool2", x));
  x = conv("conv3", x, 384, 3, 1, 1, 1, 0);
  x = conv("conv4", x, 384, 3, 1, 1, 2, 1);
  x = pool("pool5", conv("conv5", x, 256, 3, 1, 1, 2, 1));
  x = fc("7", fc("6", x));
  Top scores = n.add(r.last_name("fc8"), "InnerProduct", {x},
                     learn({{"num_output", o.num_output.value_or(1000)}}, 0.01, 0));
  add_outputs(n, r, scores);
  return n.net();
}

}  // namespace

NetPhase parse_net_phase(const std::string& s) {
  if (s == "train" || s == "TRAIN") return NetPhase::train;
  if (s == "test" || s == "TEST") return NetPhase::test;
  if (s == "deploy") return NetPhase::deploy;
  if (s == "train_test") return NetPhase::train_test;
  throw Error("--phase", "expected train, test, deploy or train_test, got '" + s + "'");
}

const char* phase_name(NetPhase p) {
  switch (p) {
    case NetPhase::train: return "train";
    case NetPhase::test: return "test";
    case NetPhase::deploy: return "deploy";
    case NetPhase::train_test: return "train_test";
  }
  return "?";
}

std::vector<std::string> template_names() { return {"lenet", "caffenet"}; }

caffe::NetParameter build_template(const std::string& name, const TemplateOptions& options) {
  if (options.batch_size && *options.batch_size <= 0) throw Error("--batch-size", "must be positive");
  if (options.test_batch_size && *options.test_batch_size <= 0)
    throw Error("--test-batch-size", "must be positive");
  if (options.num_output && *options.num_output <= 0) throw Error("--num-output", "must be positive");
  if (options.crop_size && *options.crop_size <= 0) throw Error("--crop-size", "must be positive");
  if (options.mean_file && !options.mean_value.empty())
    throw Error("--mean-file", "give either --mean-file or --mean-value, not both");
  if (name == "lenet") return lenet(options);
  if (name == "caffenet") return caffenet(options);
  throw Error("netgen", "no built-in net '" + name + "' (there are lenet and caffenet)");
}

}  // namespace cortado::authoring
