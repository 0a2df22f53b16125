#include "layers/dummy_data.hpp"

#include <cstdint>

#include "layers/filler.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

// A legacy list must hold one value for all tops or one per top.
int legacy_dim(const google::protobuf::RepeatedField<uint32_t>& values, int i) {
  return static_cast<int>(values.size() == 1 ? values.Get(0) : values.Get(i));
}

}  // namespace

std::vector<int> DummyDataLayer::top_shape(int i, int num_top) const {
  const caffe::DummyDataParameter& p = param_.dummy_data_param();
  const bool legacy = p.num_size() > 0 || p.channels_size() > 0 || p.height_size() > 0 ||
                      p.width_size() > 0;
  auto count_ok = [&](int n) { return n == 1 || n == num_top; };
  if (legacy) {
    if (p.shape_size() > 0)
      throw Error(where(), "dummy_data_param gives both shape and legacy num/channels/height/width");
    if (!count_ok(p.num_size()) || !count_ok(p.channels_size()) || !count_ok(p.height_size()) ||
        !count_ok(p.width_size()))
      throw Error(where(), "dummy_data_param needs num, channels, height and width once, or once "
                           "per top (" + std::to_string(num_top) + " tops)");
    return {legacy_dim(p.num(), i), legacy_dim(p.channels(), i), legacy_dim(p.height(), i),
            legacy_dim(p.width(), i)};
  }
  if (!count_ok(p.shape_size()))
    throw Error(where(), "dummy_data_param has " + std::to_string(p.shape_size()) +
                             " shapes for " + std::to_string(num_top) +
                             " tops; give one shape or one per top");
  const caffe::BlobShape& s = p.shape(p.shape_size() == 1 ? 0 : i);
  std::vector<int> shape;
  for (auto d : s.dim()) {
    if (d < 0 || d > INT32_MAX) throw Error(where(), "dimension " + std::to_string(d) + " is out of range");
    shape.push_back(static_cast<int>(d));
  }
  return shape;
}

const caffe::FillerParameter& DummyDataLayer::filler_for(int i) const {
  const caffe::DummyDataParameter& p = param_.dummy_data_param();
  if (p.data_filler_size() == 0) return zero_filler_;
  return p.data_filler(p.data_filler_size() == 1 ? 0 : i);
}

void DummyDataLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& top) {
  const int num_top = static_cast<int>(top.size());
  const int num_fillers = param_.dummy_data_param().data_filler_size();
  if (num_fillers != 0 && num_fillers != 1 && num_fillers != num_top)
    throw Error(where(), "dummy_data_param has " + std::to_string(num_fillers) +
                             " data_filler entries for " + std::to_string(num_top) +
                             " tops; give none, one, or one per top");
  zero_filler_.set_type("constant");
  zero_filler_.set_value(0.f);
  refill_.assign(num_top, false);
  for (int i = 0; i < num_top; ++i) {
    top[i]->reshape(top_shape(i, num_top));
    refill_[i] = filler_for(i).type() != "constant";
    // Constant tops are filled now, once; random ones at every forward.
    if (!refill_[i]) fill_blob(filler_for(i), *top[i]);
  }
}

void DummyDataLayer::forward_cpu(const BlobVec& /*bottom*/, const BlobVec& top) {
  for (size_t i = 0; i < top.size(); ++i)
    if (refill_[i]) fill_blob(filler_for(static_cast<int>(i)), *top[i]);
}

}  // namespace cortado
