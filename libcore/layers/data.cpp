#include "layers/data.hpp"

#include <opencv2/core.hpp>

#include "data/transformer.hpp"
#include "db/lmdb.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

std::string dims(const std::vector<int>& s) {
  std::string out;
  for (int d : s) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

// Datums in key order from an LMDB, transformed; the state is the index of the next
// record and the transformer's generator.
class LmdbSource : public BatchSource {
 public:
  LmdbSource(std::unique_ptr<LmdbReader> reader, std::unique_ptr<Transformer> transformer,
             int batch_size, std::string where)
      : reader_(std::move(reader)),
        transformer_(std::move(transformer)),
        batch_size_(batch_size),
        where_(std::move(where)) {}

  // The current record; a value that is not a Datum is an Error naming its key.
  caffe::Datum current() const {
    caffe::Datum datum;
    const std::string_view value = reader_->value();
    if (!datum.ParseFromArray(value.data(), static_cast<int>(value.size())))
      throw Error(where_, "record '" + std::string(reader_->key()) + "' of " + reader_->path() +
                              " is not a Datum");
    return datum;
  }

  // Output shape (C, H, W) of the current record.
  std::vector<int> current_shape() const { return transformer_->output_shape(current()); }

  void load_batch(DataBatch& batch) override {
    std::vector<int> shape;
    batch.labels.resize(batch_size_);
    batch.raw.expect(batch_size_);
    for (int item = 0; item < batch_size_; ++item) {
      batch.labels[item] = static_cast<float>(transform_record(shape, batch, item));
      if (reader_->next_wrap()) LOG_INFO("Restarting data prefetching from start.");
    }
    batch.data_shape = {batch_size_, shape[0], shape[1], shape[2]};
  }

  std::string state() const override {
    return format_data_state("Data", {{"index", std::to_string(reader_->index())},
                                      {"rng", transformer_->rng_state()}});
  }

  void set_state(const std::string& state) override {
    auto fields = parse_data_state(state, "Data", where_);
    size_t index = 0;
    try {
      index = std::stoull(fields.at("index"));
    } catch (const std::exception&) {
      throw Error(where_, "the saved data state has no valid record index");
    }
    if (index >= reader_->size())
      throw Error(where_, "the saved data state points at record " + std::to_string(index) +
                              ", but " + reader_->path() + " holds " +
                              std::to_string(reader_->size()));
    transformer_->set_rng_state(fields["rng"]);
    reader_->seek_index(index);
  }

  const Transformer& transformer() const override { return *transformer_; }
  size_t position() const override { return reader_->index(); }
  void reseed(uint64_t seed, bool /*fresh*/) override { transformer_->seed(seed); }

 private:
  // Transforms the current record into item `item` of the batch's data (or, in GPU
  // mode, appends it raw); the first record of a batch sets `shape` (C, H, W), the
  // others must match it. Returns the label.
  int transform_record(std::vector<int>& shape, DataBatch& batch, int item) {
    const bool raw = static_cast<bool>(batch.raw.buffer);
    const caffe::Datum datum = current();
    cv::Mat image;
    if (datum.encoded()) image = transformer_->decode(datum);
    const std::vector<int> s =
        datum.encoded() ? transformer_->output_shape(image) : transformer_->output_shape(datum);
    if (item == 0) {
      shape = s;
      if (!raw) batch.data.resize(static_cast<size_t>(batch_size_) * s[0] * s[1] * s[2]);
    } else if (s != shape) {
      throw Error(where_, "record '" + std::string(reader_->key()) + "' gives " + dims(s) +
                              " but the batch's first record gave " + dims(shape) +
                              ": all records of a batch must have one size");
    }
    if (raw) {
      if (datum.encoded())
        batch.raw.add(*transformer_, image);
      else
        batch.raw.add(*transformer_, datum);
      return datum.label();
    }
    float* dst = batch.data.data() + static_cast<size_t>(item) * s[0] * s[1] * s[2];
    if (datum.encoded())
      transformer_->transform(image, dst);
    else
      transformer_->transform(datum, dst);
    return datum.label();
  }

  std::unique_ptr<LmdbReader> reader_;
  std::unique_ptr<Transformer> transformer_;
  int batch_size_;
  std::string where_;
};

std::unique_ptr<LmdbReader> open_lmdb(const caffe::DataParameter& dp, const std::string& where) {
  if (dp.source().empty()) throw Error(where, "data_param.source is not set");
  if (dp.has_backend() && dp.backend() == caffe::DataParameter::LEVELDB)
    throw Error(where, "backend LEVELDB is not supported: Cortado reads LMDB only "
                       "(convert the data with create_lmdb and set backend: LMDB)");
  if (!dp.has_backend() && !is_lmdb(dp.source()))
    throw Error(where, "source '" + dp.source() +
                           "' is not an LMDB, and the default backend, LEVELDB, is not "
                           "supported (Cortado reads LMDB only)");
  auto reader = std::make_unique<LmdbReader>(dp.source());
  if (reader->empty()) throw Error(where, "LMDB '" + dp.source() + "' holds no records");
  LOG_INFO("Opened lmdb {}", dp.source());
  return reader;
}

}  // namespace

void DataLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& top) {
  const caffe::DataParameter& dp = param_.data_param();
  const int batch_size = static_cast<int>(dp.batch_size());
  if (batch_size <= 0) throw Error(where(), "data_param.batch_size must be positive");
  if (dp.rand_skip() > 0)
    LOG_WARN("{}: rand_skip is ignored by the Data layer (as in Caffe 1.0)", where());
  auto reader = open_lmdb(dp, where());
  reader->seek_first();
  auto transformer = std::make_unique<Transformer>(effective_transform_param(), phase(), where());
  transformer->seed(0);
  auto source = std::make_unique<LmdbSource>(std::move(reader), std::move(transformer),
                                             batch_size, where());
  // The first record gives the top shape (each batch then takes its first record's).
  const std::vector<int> shape = source->current_shape();
  const std::vector<int> top_shape{batch_size, shape[0], shape[1], shape[2]};
  top[0]->reshape(top_shape);
  LOG_INFO("output data size: {},{},{},{}", top_shape[0], top_shape[1], top_shape[2], top_shape[3]);
  if (top.size() > 1) top[1]->reshape(std::vector<int>{batch_size});
  set_source(std::move(source));
}

}  // namespace cortado
