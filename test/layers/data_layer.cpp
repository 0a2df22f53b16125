// The Data layer on the golden LMDBs made by Caffe's convert_mnist_data / convert_imageset.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "data/prefetch.hpp"
#include "db/lmdb.hpp"
#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

namespace {

// SHA-1 (FIPS 180-1), to compare pixels with the sha1 column of Caffe's LMDB dumps.
std::string sha1_hex(const std::string& message) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string m = message;
  const uint64_t bits = static_cast<uint64_t>(message.size()) * 8;
  m += static_cast<char>(0x80);
  while (m.size() % 64 != 56) m += '\0';
  for (int i = 7; i >= 0; --i) m += static_cast<char>((bits >> (8 * i)) & 0xff);
  auto rol = [](uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (size_t chunk = 0; chunk < m.size(); chunk += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(uint8_t(m[chunk + 4 * i])) << 24) |
             (uint32_t(uint8_t(m[chunk + 4 * i + 1])) << 16) |
             (uint32_t(uint8_t(m[chunk + 4 * i + 2])) << 8) | uint32_t(uint8_t(m[chunk + 4 * i + 3]));
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  char out[41];
  for (int i = 0; i < 5; ++i) std::snprintf(out + 8 * i, 9, "%08x", h[i]);
  return out;
}

// Item n of a data top as the uint8 bytes it came from (scale 1, no mean).
std::string item_bytes(const Blob& data, int n) {
  const int size = data.count(1);
  std::string bytes(size, '\0');
  for (int i = 0; i < size; ++i) bytes[i] = static_cast<char>(static_cast<int>(data.data()[n * size + i]));
  return bytes;
}

std::string data_layer(const std::string& db, int batch, const std::string& extra = "",
                       const std::string& phase = "TRAIN") {
  return "name: 'data' type: 'Data' phase: " + phase + " data_param { source: '" +
         lmdb_path(db) + "' batch_size: " + std::to_string(batch) + " backend: LMDB } " + extra;
}

// Every record of an LMDB, in key order: (label, pixel bytes).
std::vector<std::pair<int, std::string>> all_records(const std::string& db) {
  std::vector<std::pair<int, std::string>> out;
  LmdbReader reader(lmdb_path(db));
  for (bool ok = reader.seek_first(); ok; ok = reader.next()) {
    caffe::Datum d;
    REQUIRE(d.ParseFromArray(reader.value().data(), static_cast<int>(reader.value().size())));
    out.emplace_back(d.label(), d.data());
  }
  return out;
}

struct Run {
  std::unique_ptr<Layer> layer;
  Blob data, label;
  explicit Run(const std::string& text) : layer(layer_of(text)) {
    layer->setup({}, {&data, &label});
  }
  void step() { layer->forward({}, {&data, &label}); }
  PrefetchingDataLayer& prefetching() { return dynamic_cast<PrefetchingDataLayer&>(*layer); }
};

}  // namespace

TEST_CASE("Data reads the golden LMDB's first batch: labels and pixels", "[layers][data]") {
  Run run(data_layer("fashion_mnist_train1000_lmdb", 10));
  CHECK(run.data.shape() == std::vector<int>{10, 1, 28, 28});
  CHECK(run.label.shape() == std::vector<int>{10});
  run.step();
  // Labels and sha1(data) of records 00000000..00000009 from Caffe's dump.
  expect_near(data_of(run.label), {9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  const char* sha1[] = {"78b8aa2680a14b37c7809152c58f6262f7f0f8b2",
                        "b56a44530459efc1c0f18b3cf09b7ac4e1d038cc",
                        "df5347005a94822943c0f0665bda0a83a455ab10",
                        "8059ccccc89b2628f1300a7f5bde51b95cfd8807",
                        "2ee031eda722fae0bef0a49cae3e7652bbac19ef",
                        "f2ea8c0e11997fe2459f56028373a085691d61c1",
                        "91cf9db282f821a5f9c16eb2c9bf9c361be50b46",
                        "0c827c7a694c6c45e531dd942e02af82f36f6292",
                        "9298ed10476dd7fb6d13c2f8fd1bd1fbac0a0e7b",
                        "7b23441eeccb4727c7ed17d233ab38c69621f4ca"};
  for (int n = 0; n < 10; ++n) CHECK(sha1_hex(item_bytes(run.data, n)) == sha1[n]);
  CHECK(run.prefetching().position() == 10);
}

TEST_CASE("Data reads the test LMDB and the label top is optional", "[layers][data]") {
  auto layer = layer_of(data_layer("fashion_mnist_test200_lmdb", 3, "", "TEST"));
  Blob data;
  layer->setup({}, {&data});
  layer->forward({}, {&data});
  CHECK(sha1_hex(item_bytes(data, 0)) == "97cc079ec5c7fa6b1669931ced26a0fe6f854c1f");
  CHECK(sha1_hex(item_bytes(data, 2)) == "27b984169d28f0bb716e2f6d458a5cfe8a7e2258");
}

TEST_CASE("Data wraps around to the first record after the last", "[layers][data]") {
  const auto records = all_records("fashion_mnist_train1000_lmdb");
  REQUIRE(records.size() == 1000u);
  CHECK(records[998].first == 9);  // from Caffe's dump
  CHECK(records[999].first == 8);
  Run run(data_layer("fashion_mnist_train1000_lmdb", 300));
  for (int b = 0; b < 5; ++b) {  // 1500 records: the fourth batch wraps
    run.step();
    for (int n = 0; n < 300; n += 7) {
      const auto& want = records[(b * 300 + n) % 1000];
      INFO("batch " << b << " item " << n);
      CHECK(run.label.data()[n] == want.first);
      CHECK(item_bytes(run.data, n) == want.second);
    }
  }
  CHECK(run.prefetching().position() == 500);
}

TEST_CASE("Data state restored into a fresh layer gives the identical next batch",
          "[layers][data]") {
  // Random crop and mirror in TRAIN, so the generator state matters too; 7 batches
  // of 150 also cross the end of the 1000 records.
  const std::string text =
      data_layer("fashion_mnist_train1000_lmdb", 150,
                 "transform_param { crop_size: 24 mirror: true scale: 0.00390625 }");
  Run a(text);
  a.prefetching().seed(1701);
  for (int i = 0; i < 6; ++i) a.step();
  const std::string state = a.prefetching().save_state();
  CHECK(a.prefetching().position() == 900);
  std::vector<std::vector<float>> data, labels;
  for (int i = 0; i < 3; ++i) {
    a.step();
    data.push_back(data_of(a.data));
    labels.push_back(data_of(a.label));
  }
  Run b(text);
  b.prefetching().seed(5);  // overridden by the restore
  b.step();                 // and a read-ahead thread already running
  b.prefetching().restore_state(state);
  CHECK(b.prefetching().position() == 900);
  for (int i = 0; i < 3; ++i) {
    b.step();
    CHECK(data_of(b.data) == data[i]);
    CHECK(data_of(b.label) == labels[i]);
  }
  // The same seed from the start gives the same batches; another seed other crops.
  Run c(text), d(text), e(text);
  c.prefetching().seed(1701);
  d.prefetching().seed(1701);
  e.prefetching().seed(1702);
  c.step();
  d.step();
  e.step();
  CHECK(data_of(c.data) == data_of(d.data));
  CHECK(data_of(c.data) != data_of(e.data));
  CHECK(data_of(c.label) == data_of(e.label));
  CHECK_THROWS_AS(b.prefetching().restore_state("garbage"), Error);
}

TEST_CASE("Data applies mean_file, scale and the centre crop in TEST", "[layers][data]") {
  const auto records = all_records("fashion_mnist_train1000_lmdb");
  caffe::BlobProto mean;
  read_binary_proto(testdata("mean/mean.binaryproto"), mean);
  Run run(data_layer("fashion_mnist_train1000_lmdb", 2,
                     "transform_param { crop_size: 20 scale: 0.5 mean_file: '" +
                         testdata("mean/mean.binaryproto") + "' }",
                     "TEST"));
  CHECK(run.data.shape() == std::vector<int>{2, 1, 20, 20});
  run.step();
  // Offset (28 - 20) / 2 = 4; out = (pixel - mean) * scale, mean at the uncropped index.
  for (int n = 0; n < 2; ++n)
    for (int y : {0, 7, 19})
      for (int x : {0, 11, 19}) {
        const int src = (y + 4) * 28 + x + 4;
        const float pixel = static_cast<uint8_t>(records[n].second[src]);
        CHECK(run.data.data()[n * 400 + y * 20 + x] == Approx((pixel - mean.data(src)) * 0.5f));
      }
}

TEST_CASE("Data mirrors and crops within the image in TRAIN", "[layers][data]") {
  const auto records = all_records("fashion_mnist_train1000_lmdb");
  Run run(data_layer("fashion_mnist_train1000_lmdb", 50,
                     "transform_param { crop_size: 26 mirror: true mean_value: 10 }"));
  run.prefetching().seed(3);
  run.step();
  int flipped_only = 0, plain_only = 0;
  for (int n = 0; n < 50; ++n) {
    // Which crop offsets and flips reproduce the item; at least one must.
    bool plain = false, flipped = false;
    for (int h = 0; h <= 2; ++h)
      for (int w = 0; w <= 2; ++w)
        for (int flip = 0; flip < 2; ++flip) {
          bool same = true;
          for (int y = 0; y < 26 && same; ++y)
            for (int x = 0; x < 26 && same; ++x) {
              const int sx = flip ? 25 - x : x;
              const float pixel = static_cast<uint8_t>(records[n].second[(y + h) * 28 + sx + w]);
              same = run.data.data()[n * 676 + y * 26 + x] == pixel - 10.f;
            }
          (flip ? flipped : plain) |= same;
        }
    INFO("item " << n);
    CHECK((plain || flipped));
    flipped_only += flipped && !plain;
    plain_only += plain && !flipped;
  }
  CHECK(flipped_only > 5);
  CHECK(plain_only > 5);
}

TEST_CASE("Data decodes encoded datums (convert_imageset --encoded)", "[layers][data]") {
  Run run(data_layer("images_encoded_lmdb", 2, "", "TEST"));
  CHECK(run.data.shape() == std::vector<int>{2, 1, 28, 28});  // the PNGs are gray
  run.step();
  CHECK(run.label.data()[0] == 9);  // 00000000_ankle_boot.0.png
  const cv::Mat img = cv::imread(testdata("images/ankle_boot.0.png"), cv::IMREAD_GRAYSCALE);
  REQUIRE(!img.empty());
  for (int i = 0; i < 784; i += 13) CHECK(run.data.data()[i] == img.data[i]);
  Run color(data_layer("images_encoded_lmdb", 2, "transform_param { force_color: true }", "TEST"));
  CHECK(color.data.shape() == std::vector<int>{2, 3, 28, 28});
}

TEST_CASE("Data reports bad parameters as errors naming the layer", "[layers][data]") {
  Blob data, label;
  auto leveldb = layer_of("name: 'd' type: 'Data' data_param { source: '" +
                          lmdb_path("fashion_mnist_train1000_lmdb") +
                          "' batch_size: 4 backend: LEVELDB }");
  CHECK_THROWS_WITH(leveldb->setup({}, {&data, &label}),
                    Catch::Contains("layer 'd' (Data)") && Catch::Contains("LEVELDB"));
  // No backend given: an LMDB source is accepted, anything else names LEVELDB.
  auto unset = layer_of("name: 'd' type: 'Data' data_param { source: '" +
                        lmdb_path("fashion_mnist_train1000_lmdb") + "' batch_size: 4 }");
  unset->setup({}, {&data, &label});
  auto missing = layer_of("name: 'd' type: 'Data' data_param { source: '/nonexistent' batch_size: 4 }");
  CHECK_THROWS_WITH(missing->setup({}, {&data, &label}), Catch::Contains("LEVELDB"));
  auto no_batch = layer_of("name: 'd' type: 'Data' data_param { source: '" +
                           lmdb_path("fashion_mnist_train1000_lmdb") + "' backend: LMDB }");
  CHECK_THROWS_WITH(no_batch->setup({}, {&data, &label}), Catch::Contains("batch_size"));
  auto crop = layer_of(data_layer("fashion_mnist_train1000_lmdb", 2, "transform_param { crop_size: 29 }"));
  CHECK_THROWS_WITH(crop->setup({}, {&data, &label}), Catch::Contains("crop_size"));
}

}  // namespace cortado::test::lossdata

namespace cortado::test::lossdata {

TEST_CASE("Data reports a bad record from the prefetch thread in forward", "[layers][data]") {
  const std::string dir = temp_dir("data_bad_record");
  {
    LmdbWriter writer(dir);
    caffe::Datum d;
    d.set_channels(1);
    d.set_height(2);
    d.set_width(2);
    d.set_data(std::string(4, '\x07'));
    d.set_label(1);
    writer.put("a", d.SerializeAsString());
    writer.put("b", d.SerializeAsString());
    writer.put("c", "\xff\xff not a datum");
    d.set_width(3);
    d.set_data(std::string(6, '\x07'));
    writer.put("d", d.SerializeAsString());
    writer.finish();
  }
  Blob data, label;
  auto layer = layer_of("name: 'd' type: 'Data' data_param { source: '" + dir +
                        "' batch_size: 2 backend: LMDB }");
  layer->setup({}, {&data, &label});
  layer->forward({}, {&data, &label});
  expect_near(data_of(data), std::vector<float>(8, 7.f));
  CHECK_THROWS_WITH(layer->forward({}, {&data, &label}),
                    Catch::Contains("layer 'd' (Data)") && Catch::Contains("record 'c'"));
  // The failed batch is not consumed: the next forward meets the same record.
  CHECK_THROWS_WITH(layer->forward({}, {&data, &label}), Catch::Contains("record 'c'"));
  // Records of different sizes in one batch are an error naming the record.
  auto& p = dynamic_cast<PrefetchingDataLayer&>(*layer);
  std::string state = p.save_state();
  state.replace(state.find("index 2"), 7, "index 3");
  p.restore_state(state);
  CHECK_THROWS_WITH(layer->forward({}, {&data, &label}), Catch::Contains("record 'a' gives 1x2x2"));
}

}  // namespace cortado::test::lossdata
