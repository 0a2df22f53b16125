#pragma once
// What fine-tuning did to each layer with parameters, for the finetune tool's report:
//   copied  the pretrained caffemodel has a layer of that name: its blobs were copied
//   fresh   no layer of that name there (e.g. a renamed last layer): filled by its fillers
//   frozen  every parameter has lr_mult 0: training leaves it exactly as it is
//   unused  pretrained layers with blobs that this net does not have
#include <string>
#include <vector>

namespace caffe {
class NetParameter;
}

namespace cortado {

class Net;

struct FinetuneReport {
  std::vector<std::string> copied, fresh, frozen, unused;
};

FinetuneReport finetune_report(const Net& net, const caffe::NetParameter& pretrained);

}  // namespace cortado
