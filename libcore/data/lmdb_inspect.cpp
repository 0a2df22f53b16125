#include "data/lmdb_inspect.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <ostream>
#include <vector>

#include "caffe.pb.h"
#include "data/datum_image.hpp"
#include "data/datum_view.hpp"
#include "db/lmdb.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

struct EntryInfo {
  std::string key;
  int label = 0, channels = 0, height = 0, width = 0;
  bool encoded = false;
  size_t bytes = 0;
};

std::string where_of(const LmdbReader& db, std::string_view key) {
  return db.path() + ": key '" + std::string(key) + "'";
}

// Calls fn(key, value) for each selected entry in key order.
void for_each_selected(LmdbReader& db, const EntrySelection& sel,
                       const std::function<void(std::string_view, std::string_view)>& fn) {
  if (!sel.key.empty()) {
    if (!db.seek(sel.key)) throw Error(db.path(), "no entry with key '" + sel.key + "'");
    fn(db.key(), db.value());
    return;
  }
  size_t n = 0;
  for (bool ok = db.seek_first(); ok && (sel.limit == 0 || n < sel.limit); ok = db.next(), ++n)
    fn(db.key(), db.value());
}

EntryInfo describe(const LmdbReader& db, std::string_view key, std::string_view value) {
  DatumView d;
  if (!parse_datum_view(value, d)) throw Error(where_of(db, key), "not a Datum (corrupted value)");
  EntryInfo e{std::string(key), d.label, d.channels, d.height, d.width, d.encoded,
              d.data.empty() ? d.float_data.size() * sizeof(float) : d.data.size()};
  if (d.encoded && (e.channels == 0 || e.height == 0 || e.width == 0)) {
    const cv::Mat img = decode_image(d.data, cv::IMREAD_UNCHANGED, where_of(db, key));
    e.channels = img.channels();
    e.height = img.rows;
    e.width = img.cols;
  }
  return e;
}

std::string shape_of(const EntryInfo& e) {
  return std::to_string(e.channels) + "x" + std::to_string(e.height) + "x" +
         std::to_string(e.width);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string json_string(const std::string& s) {
  std::string q = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      q += buf;
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "\"";
}

void write_line(const EntryInfo& e, ListFormat f, size_t key_width, std::ostream& out) {
  const char* kind = e.encoded ? "encoded" : "raw";
  switch (f) {
    case ListFormat::kTable: {
      std::string key = e.key;
      key.resize(std::max(key_width, key.size()), ' ');
      char rest[96];
      std::snprintf(rest, sizeof rest, "  %-5d  %-12s  %-7s  %zu\n", e.label, shape_of(e).c_str(),
                    kind, e.bytes);
      out << key << rest;
      break;
    }
    case ListFormat::kCsv:
      out << csv_field(e.key) << ',' << e.label << ',' << e.channels << ',' << e.height << ','
          << e.width << ',' << kind << ',' << e.bytes << "\n";
      break;
    case ListFormat::kJsonl:
      out << "{\"key\": " << json_string(e.key) << ", \"label\": " << e.label
          << ", \"channels\": " << e.channels << ", \"height\": " << e.height
          << ", \"width\": " << e.width << ", \"encoded\": " << (e.encoded ? "true" : "false")
          << ", \"bytes\": " << e.bytes << "}\n";
      break;
  }
}

// Writes `bytes` to `path` inside a folder that is itself renamed into place later.
void write_plain(const std::string& path, const std::vector<uchar>& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  size_t done = 0;
  while (ok && done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  if (fd >= 0 && ::close(fd) != 0) ok = false;
  if (!ok) throw Error(path, "cannot write");
}

}  // namespace

ListFormat parse_list_format(const std::string& name) {
  if (name == "table") return ListFormat::kTable;
  if (name == "csv") return ListFormat::kCsv;
  if (name == "jsonl") return ListFormat::kJsonl;
  throw Error("--format", "unknown format '" + name + "' (expected table, csv or jsonl)");
}

void list_entries(LmdbReader& db, const EntrySelection& sel, ListFormat format, std::ostream& out) {
  size_t key_width = 3;
  if (format == ListFormat::kTable) {
    for_each_selected(db, sel, [&](std::string_view k, std::string_view) {
      key_width = std::max(key_width, k.size());
    });
    std::string head = "key";
    head.resize(key_width, ' ');
    out << head << "  label  shape         kind     bytes\n";
  } else if (format == ListFormat::kCsv) {
    out << "key,label,channels,height,width,kind,bytes\n";
  }
  for_each_selected(db, sel, [&](std::string_view k, std::string_view v) {
    write_line(describe(db, k, v), format, key_width, out);
  });
}

void print_summary(LmdbReader& db, const EntrySelection& sel, std::ostream& out) {
  std::map<std::string, size_t> shapes;
  std::map<int, size_t> labels;
  size_t count = 0;
  for_each_selected(db, sel, [&](std::string_view k, std::string_view v) {
    const EntryInfo e = describe(db, k, v);
    ++shapes[shape_of(e) + (e.encoded ? " encoded" : " raw")];
    ++labels[e.label];
    ++count;
  });
  out << "database: " << db.path() << "\n";
  out << "entries: " << count << "\n";
  out << "shapes:\n";
  for (auto& [shape, n] : shapes) out << "  " << shape << ": " << n << "\n";
  out << "labels:\n";
  for (auto& [label, n] : labels) out << "  " << label << ": " << n << "\n";
}

std::string export_file_name(const std::string& key, int label) {
  std::string safe = key;
  for (char& c : safe) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    if (!ok) c = '_';
  }
  if (safe.empty() || safe[0] == '.') safe.insert(safe.begin(), '_');
  return safe + "_label" + std::to_string(label) + ".png";
}

size_t export_images(LmdbReader& db, const EntrySelection& sel, const std::string& dir_arg,
                     bool force) {
  std::string dir = dir_arg;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  AtomicDir out(dir, force);
  caffe::Datum datum;
  size_t n = 0;
  std::vector<uchar> png;
  for_each_selected(db, sel, [&](std::string_view k, std::string_view v) {
    const std::string where = where_of(db, k);
    if (!datum.ParseFromArray(v.data(), static_cast<int>(v.size())))
      throw Error(where, "not a Datum (corrupted value)");
    const cv::Mat img = datum_to_mat(datum, where);
    if (!cv::imencode(".png", img, png)) throw Error(where, "cannot encode as PNG");
    const std::string name = export_file_name(std::string(k), datum.label());
    write_plain((fs::path(out.temp_path()) / name).string(), png);
    ++n;
  });
  out.commit();
  return n;
}

}  // namespace cortado
