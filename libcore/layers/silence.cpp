#include "layers/silence.hpp"

namespace cortado {

void SilenceLayer::backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  for (size_t i = 0; i < bottom.size(); ++i)
    if (propagate_down[i]) bottom[i]->set_diff(0.f);
}

}  // namespace cortado
