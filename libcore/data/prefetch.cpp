#include "data/prefetch.hpp"

#include <algorithm>
#include <sstream>

#include "util/error.hpp"

namespace cortado {

PrefetchingDataLayer::PrefetchingDataLayer(const caffe::LayerParameter& param)
    : Layer(param), capacity_(std::max<size_t>(1, param.data_param().prefetch())) {}

PrefetchingDataLayer::~PrefetchingDataLayer() { stop_prefetch(); }

void PrefetchingDataLayer::set_source(std::unique_ptr<BatchSource> source) {
  stop_prefetch();
#ifdef CORTADO_WITH_CUDA
  gpu_.reset();  // it holds the old transformer's mean
#endif
  source_ = std::move(source);
  handed_state_ = source_->state();
  handed_position_ = source_->position();
  fresh_ = true;
}

void PrefetchingDataLayer::seed(uint64_t seed) {
  CORTADO_ASSERT(source_);
  stop_prefetch();
  source_->set_state(handed_state_);
  source_->reseed(seed, fresh_);
  handed_state_ = source_->state();
  handed_position_ = source_->position();
}

void PrefetchingDataLayer::restore_state(const std::string& state) {
  CORTADO_ASSERT(source_);
  stop_prefetch();
  source_->set_state(state);  // throws on a bad state; reading restarts from handed_state_
  handed_state_ = state;
  handed_position_ = source_->position();
  fresh_ = false;
}

void PrefetchingDataLayer::start_prefetch(const StagingFactory* staging) {
  // The source may be ahead of the last batch handed out (dropped read-ahead).
  source_->set_state(handed_state_);
  staging_ = staging ? *staging : StagingFactory();
  stop_ = false;
  thread_ = std::thread(&PrefetchingDataLayer::run, this);
}

void PrefetchingDataLayer::stop_prefetch() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  queue_.clear();
  stop_ = false;
}

// The prefetch thread: only source_, queue_, stop_ and the synchronisation members.
void PrefetchingDataLayer::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
      if (stop_) return;
    }
    DataBatch batch;
    try {
      if (staging_) batch.raw.buffer = staging_();
      source_->load_batch(batch);
      batch.state_after = source_->state();
      batch.position_after = source_->position();
      if (batch.raw.buffer) batch.raw.buffer->upload(batch);
    } catch (...) {
      batch.error = std::current_exception();
    }
    const bool failed = static_cast<bool>(batch.error);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(batch));
      cv_.notify_all();
    }
    if (failed) return;  // the consumer rethrows; a later forward restarts from handed_state_
  }
}

DataBatch PrefetchingDataLayer::next_batch(const StagingFactory* staging) {
  CORTADO_ASSERT(source_);
  // A thread making the other kind of batch restarts from the last one handed out.
  if (thread_.joinable() && static_cast<bool>(staging_) != (staging != nullptr)) stop_prefetch();
  if (!thread_.joinable()) start_prefetch(staging);
  DataBatch batch;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !queue_.empty(); });
    batch = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
  }
  if (batch.error) {
    stop_prefetch();
    std::rethrow_exception(batch.error);
  }
  return batch;
}

void PrefetchingDataLayer::handed_out(DataBatch& batch) {
  handed_state_ = std::move(batch.state_after);
  handed_position_ = batch.position_after;
  fresh_ = false;
}

void PrefetchingDataLayer::forward_cpu(const BlobVec& /*bottom*/, const BlobVec& top) {
  DataBatch batch = next_batch(nullptr);
  top[0]->reshape(batch.data_shape);
  std::copy(batch.data.begin(), batch.data.end(), top[0]->mutable_data());
  if (top.size() > 1) {
    top[1]->reshape(std::vector<int>{static_cast<int>(batch.labels.size())});
    std::copy(batch.labels.begin(), batch.labels.end(), top[1]->mutable_data());
  }
  handed_out(batch);
}

caffe::TransformationParameter PrefetchingDataLayer::effective_transform_param() const {
  caffe::TransformationParameter t = param_.transform_param();
  auto fold = [&t](const auto& legacy) {
    if (legacy.has_scale()) t.set_scale(legacy.scale());
    if (legacy.has_mean_file()) t.set_mean_file(legacy.mean_file());
    if (legacy.has_crop_size()) t.set_crop_size(legacy.crop_size());
    if (legacy.has_mirror()) t.set_mirror(legacy.mirror());
  };
  if (param_.has_data_param()) fold(param_.data_param());
  if (param_.has_image_data_param()) fold(param_.image_data_param());
  return t;
}

std::string format_data_state(const std::string& kind,
                              const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string s = "cortado-data-state " + kind + "\n";
  for (const auto& [key, value] : fields) s += key + " " + value + "\n";
  return s;
}

std::map<std::string, std::string> parse_data_state(const std::string& text,
                                                    const std::string& kind,
                                                    const std::string& where) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "cortado-data-state " + kind)
    throw Error(where, "the saved data state is not a " + kind + " layer's state");
  std::map<std::string, std::string> fields;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos)
      throw Error(where, "malformed saved data state line '" + line + "'");
    fields[line.substr(0, space)] = line.substr(space + 1);
  }
  return fields;
}

}  // namespace cortado
