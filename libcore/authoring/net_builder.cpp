#include "authoring/net_builder.hpp"

#include "authoring/assign_kwargs.hpp"
#include "authoring/closest.hpp"
#include "authoring/layer_types.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"

namespace cortado::authoring {
namespace {

// NetSpec's own keywords, taken out before the rest go to the schema.
struct CallOptions {
  int ntop = 1;
  bool in_place = false;
  Kwargs rest;
};

CallOptions split_options(const Kwargs& kwargs, const std::string& where) {
  CallOptions o;
  for (const auto& kw : kwargs) {
    const std::string at = kw.value.pos().str(kw.pos.str(where));
    if (kw.name == "ntop") {
      if (kw.value.kind() != Value::Kind::integer || kw.value.as_int() < 0 || kw.value.as_int() > 1000)
        throw Error(at, "ntop takes a small non-negative integer, got " + kw.value.describe());
      o.ntop = static_cast<int>(kw.value.as_int());
    } else if (kw.name == "in_place") {
      if (kw.value.kind() != Value::Kind::boolean)
        throw Error(at, "in_place takes True or False, got " + kw.value.describe());
      o.in_place = kw.value.as_int() != 0;
    } else {
      o.rest.push_back(kw);
    }
  }
  return o;
}

}  // namespace

NetBuilder::NetBuilder(const std::string& net_name) : net_(std::make_unique<caffe::NetParameter>()) {
  if (!net_name.empty()) net_->set_name(net_name);
}

NetBuilder::~NetBuilder() = default;

std::string NetBuilder::auto_name(const std::string& type) {
  return type + std::to_string(++autonames_[type]);
}

std::vector<Top> NetBuilder::add_layer(const std::vector<std::string>& names,
                                       const std::string& type, const std::vector<Top>& bottoms,
                                       const Kwargs& kwargs, const SrcPos& pos) {
  const std::string context =
      pos.str("layer '" + (names.empty() ? type : names[0]) + "' (" + type + ")");
  const LayerTypeInfo* info = find_layer_type(type);
  if (!info)
    throw Error(context, "unknown layer type '" + type + "'" + did_you_mean(type, layer_type_names()));
  CallOptions opt = split_options(kwargs, context);
  const size_t ntop = static_cast<size_t>(opt.ntop);
  if (!names.empty() && names.size() != std::max<size_t>(ntop, 1))
    throw Error(context, "the " + type + " call makes " + std::to_string(ntop) +
                             " top(s) but is assigned to " + std::to_string(names.size()) +
                             " name(s); set ntop=" + std::to_string(names.size()));
  if (opt.in_place && bottoms.size() < ntop)
    throw Error(context, "in_place=True needs a bottom for each of its " + std::to_string(ntop) +
                             " top(s)");

  caffe::LayerParameter layer;
  layer.set_type(type);
  for (Top b : bottoms) layer.add_bottom(blob_name(b));
  for (size_t i = 0; i < ntop; ++i) {
    // An in-place layer's tops are its bottoms; only the first needs a name, for the layer.
    if (opt.in_place && i > 0) {
      layer.add_top(layer.bottom(static_cast<int>(i)));
      continue;
    }
    std::string top = i < names.size() ? names[i] : auto_name(type);
    layer.add_top(opt.in_place ? layer.bottom(static_cast<int>(i)) : top);
    if (i == 0) layer.set_name(top);
  }
  if (ntop == 0) layer.set_name(names.empty() ? auto_name(type) : names[0]);
  assign_kwargs(layer, *info, opt.rest, context);

  const int index = net_->layer_size();
  *net_->add_layer() = std::move(layer);
  std::vector<Top> tops;
  for (size_t i = 0; i < ntop; ++i) tops.push_back(Top{index, static_cast<int>(i)});
  for (size_t i = 0; i < names.size() && i < ntop; ++i) named_[names[i]] = tops[i];
  return tops;
}

Top NetBuilder::add(const std::string& name, const std::string& type,
                    const std::vector<Top>& bottoms, const Kwargs& kwargs, const SrcPos& pos) {
  auto tops = add_layer({name}, type, bottoms, kwargs, pos);
  if (tops.empty()) return Top{};
  return tops[0];
}

Top NetBuilder::operator[](const std::string& name) const {
  auto it = named_.find(name);
  if (it == named_.end())
    throw Error("net builder", "no top named '" + name + "'" + did_you_mean(name, names()));
  return it->second;
}

std::vector<std::string> NetBuilder::names() const {
  std::vector<std::string> out;
  for (const auto& kv : named_) out.push_back(kv.first);
  return out;
}

const std::string& NetBuilder::blob_name(Top t) const {
  CORTADO_ASSERT(t.layer >= 0 && t.layer < net_->layer_size());
  const auto& l = net_->layer(t.layer);
  CORTADO_ASSERT(t.index >= 0 && t.index < l.top_size());
  return l.top(t.index);
}

}  // namespace cortado::authoring
