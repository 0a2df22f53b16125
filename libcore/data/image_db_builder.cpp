#include "data/image_db_builder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "caffe.pb.h"
#include "db/lmdb.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

// One image's outcome, made on a worker thread.
struct Converted {
  std::string value;  // serialized Datum
  std::string error;  // non-empty: the image could not be read
};

// Runs produce(i) for i in [0, n) on `threads` workers and hands the results to
// consume(i, result) on the calling thread in index order. Workers take chunks of
// consecutive items (fewer wake-ups than one item at a time); at most `window`
// chunks wait at once, so memory stays bounded however many images there are.
void ordered_parallel(size_t n, int threads, size_t window,
                      const std::function<Converted(size_t)>& produce,
                      const std::function<void(size_t, Converted&)>& consume) {
  constexpr size_t kChunk = 32;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  struct Slot {
    std::vector<Converted> results;
    bool ready = false;
  };
  std::vector<Slot> ring(window);
  std::mutex m;
  std::condition_variable space, ready;
  std::atomic<size_t> next{0};
  size_t consumed = 0;  // chunks handed to consume()
  bool stop = false;

  auto work = [&] {
    for (;;) {
      const size_t c = next++;
      if (c >= chunks) return;
      {
        std::unique_lock<std::mutex> lock(m);
        space.wait(lock, [&] { return stop || c < consumed + window; });
        if (stop) return;
      }
      std::vector<Converted> out;
      out.reserve(kChunk);
      for (size_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) out.push_back(produce(i));
      {
        std::lock_guard<std::mutex> lock(m);
        ring[c % window].results = std::move(out);
        ring[c % window].ready = true;
      }
      ready.notify_one();  // only the consumer waits on `ready`
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  auto join = [&] {
    {
      std::lock_guard<std::mutex> lock(m);
      stop = true;
    }
    space.notify_all();
    for (auto& t : pool) t.join();
  };
  try {
    for (size_t c = 0; c < chunks; ++c) {
      std::vector<Converted> results;
      {
        std::unique_lock<std::mutex> lock(m);
        Slot& s = ring[c % window];
        ready.wait(lock, [&] { return s.ready; });
        results = std::move(s.results);
        s.ready = false;
        consumed = c + 1;
      }
      space.notify_all();
      for (size_t k = 0; k < results.size(); ++k) consume(c * kChunk + k, results[k]);
    }
  } catch (...) {
    join();
    throw;
  }
  join();
}

// Reads a whole file with one read() where possible; errors name the file.
std::string read_image_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(path, "no such image file");
    throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path, "not a regular file, expected an image");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  bytes.resize(got);
  return bytes;
}

// A one-line bar on stderr, redrawn at most every 100 ms.
class ProgressBar {
 public:
  ProgressBar(bool on, size_t total) : on_(on), total_(total) {}
  void update(size_t done) {
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    if (done != total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 40;
    const int filled = total_ ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total_);
    if (done == total_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool on_;
  size_t total_;
  std::chrono::steady_clock::time_point last_{};
};

// Fisher-Yates with our own generator, so a seed gives the same order on every platform.
template <class T>
void seeded_shuffle(std::vector<T>& v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

// The validation images: a seeded random choice, each list keeping its order.
void split_valid(std::vector<LabeledImage>& images, double fraction, uint64_t seed,
                 std::vector<LabeledImage>& valid) {
  const size_t n = images.size();
  const auto n_valid = static_cast<size_t>(fraction * static_cast<double>(n) + 0.5);
  if (n_valid == 0 || n_valid >= n)
    throw Error("--valid-fraction", "a fraction of " + std::to_string(fraction) + " of " +
                                        std::to_string(n) +
                                        " images leaves one of the two databases empty");
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  seeded_shuffle(order, seed ^ 0x9e3779b97f4a7c15ull);
  std::vector<char> is_valid(n, 0);
  for (size_t i = 0; i < n_valid; ++i) is_valid[order[i]] = 1;
  std::vector<LabeledImage> train;
  for (size_t i = 0; i < n; ++i) (is_valid[i] ? valid : train).push_back(std::move(images[i]));
  images = std::move(train);
}

std::string make_key(size_t index, const std::string& path) {
  char num[16];
  std::snprintf(num, sizeof num, "%08zu", index);
  return std::string(num) + "_" + path;
}

std::string strip_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

ImageDbReport build_image_db(const std::string& root, std::vector<LabeledImage> images,
                             const std::string& output_arg, const ImageDbOptions& opt) {
  const std::string output = strip_trailing_slashes(output_arg);
  if (opt.shuffle) seeded_shuffle(images, opt.seed);
  std::vector<std::vector<LabeledImage>> lists(1);
  lists[0] = std::move(images);
  if (opt.valid_fraction > 0) {
    lists.emplace_back();
    split_valid(lists[0], opt.valid_fraction, opt.seed, lists[1]);
  }

  AtomicDir dir(output, opt.force);
  ImageDbReport report;
  std::vector<std::unique_ptr<LmdbWriter>> writers;
  for (size_t d = 0; d < lists.size(); ++d) {
    std::string path = dir.temp_path();
    if (lists.size() > 1) {
      path += d == 0 ? "/train_lmdb" : "/valid_lmdb";
      fs::create_directory(path);
    }
    writers.push_back(std::make_unique<LmdbWriter>(path));
    ImageDbPart part;
    part.path = lists.size() > 1 ? output + (d == 0 ? "/train_lmdb" : "/valid_lmdb") : output;
    report.parts.push_back(part);
  }

  // One sequence over all databases: item i is (list, position in list).
  std::vector<std::pair<size_t, size_t>> items;
  for (size_t d = 0; d < lists.size(); ++d)
    for (size_t k = 0; k < lists[d].size(); ++k) items.emplace_back(d, k);

  auto produce = [&](size_t i) {
    const LabeledImage& img = lists[items[i].first][items[i].second];
    const std::string file = (fs::path(root) / img.path).string();
    thread_local caffe::Datum datum;
    Converted r;
    try {
      image_file_to_datum(file, read_image_file(file), img.label, opt.image, datum);
      // (SerializeToString gives up past 2 GiB, and the record would be empty)
      if (datum.ByteSizeLong() > size_t{INT_MAX})
        throw Error(file, "its Datum would be " + std::to_string(datum.ByteSizeLong()) +
                              " bytes, over protobuf's 2 GiB limit (resize it smaller)");
      datum.SerializeToString(&r.value);
    } catch (const Error& e) {
      r.error = e.what();
    } catch (const std::exception& e) {  // e.g. cv::Exception: never let it end a worker
      r.error = file + ": " + e.what();
    }
    return r;
  };
  ProgressBar bar(opt.progress, items.size());
  auto consume = [&](size_t i, Converted& r) {
    const auto [d, k] = items[i];
    if (!r.error.empty()) {
      if (!opt.skip_bad) throw Error(r.error);
      LOG_WARN("skipping {}", r.error);
      ++report.skipped_bad;
    } else {
      const LabeledImage& img = lists[d][k];
      writers[d]->put(make_key(k, img.path), r.value);
      report.parts[d].count++;
      report.parts[d].label_counts[img.label]++;
    }
    bar.update(i + 1);
    if (!opt.progress && (i + 1) % 10000 == 0) LOG_INFO("Processed {} files.", i + 1);
  };
  const int threads = opt.threads > 0 ? opt.threads
                                      : std::max(1u, std::thread::hardware_concurrency());
  ordered_parallel(items.size(), threads, 8 * static_cast<size_t>(threads), produce, consume);

  for (size_t d = 0; d < writers.size(); ++d) {
    if (report.parts[d].count == 0)
      throw Error(output, "no image could be read, so no database was written");
    writers[d]->finish();
  }
  writers.clear();
  dir.commit();
  return report;
}

}  // namespace cortado
