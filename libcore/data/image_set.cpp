#include "data/image_set.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include "data/datum_image.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      cur += static_cast<char>(std::tolower(c));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool contains_run(const std::vector<std::string>& hay, const std::vector<std::string>& needle) {
  return !needle.empty() &&
         std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

bool parse_int(const std::string& s, int& v) {
  if (s.empty()) return false;
  size_t used = 0;
  try {
    v = std::stoi(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == s.size();
}

}  // namespace

std::vector<LabeledImage> read_image_list(const std::string& list_path) {
  std::istringstream in(read_file(list_path));
  std::vector<LabeledImage> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const size_t sp = line.find_last_of(' ');
    LabeledImage item;
    if (sp == std::string::npos || sp == 0 || !parse_int(line.substr(sp + 1), item.label))
      throw Error(list_path + ":" + std::to_string(n),
                  "expected '<relative/path> <integer label>', got '" + line + "'");
    item.path = line.substr(0, sp);
    out.push_back(std::move(item));
  }
  if (out.empty()) throw Error(list_path, "no images listed (expected '<path> <label>' lines)");
  return out;
}

int match_class(const std::string& file_name, const std::vector<std::string>& classes) {
  const auto name_words = words(fs::path(file_name).filename().string());
  int found = kNoClass;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (!contains_run(name_words, words(classes[i]))) continue;
    if (found != kNoClass) return kSeveralClasses;
    found = static_cast<int>(i);
  }
  return found;
}

std::vector<std::string> parse_class_list(const std::string& comma_separated) {
  std::vector<std::string> out;
  std::set<std::vector<std::string>> seen;
  std::string item;
  std::istringstream in(comma_separated);
  while (std::getline(in, item, ',')) {
    const auto w = words(item);
    if (w.empty()) throw Error("--classes", "empty class keyword in '" + comma_separated + "'");
    if (!seen.insert(w).second) throw Error("--classes", "class '" + item + "' given twice");
    out.push_back(item);
  }
  if (out.empty()) throw Error("--classes", "expected a comma-separated list such as cat,dog");
  return out;
}

bool has_image_extension(const std::string& path) {
  static const std::set<std::string> kExt = {"png", "jpg",  "jpeg", "jpe", "bmp", "dib",
                                             "tif", "tiff", "webp", "pgm", "ppm", "pbm",
                                             "pnm", "pxm",  "sr",   "ras", "jp2", "exr",
                                             "hdr", "pic"};
  return kExt.count(file_extension(path)) > 0;
}

std::vector<LabeledImage> list_class_folder(const std::string& folder,
                                            const std::vector<std::string>& classes,
                                            bool skip_unlabeled, size_t* skipped) {
  std::error_code ec;
  if (!fs::exists(folder, ec)) throw Error(folder, "no such folder");
  if (!fs::is_directory(folder, ec)) throw Error(folder, "is a file, expected a folder of images");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {  // hidden files and folders
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && has_image_extension(name))
      files.push_back(fs::relative(it->path(), folder).generic_string());
  }
  if (ec) throw Error(folder, "cannot list: " + ec.message());
  if (files.empty()) throw Error(folder, "no image files found (expected .png, .jpg, ... files)");
  std::sort(files.begin(), files.end());

  std::vector<LabeledImage> out;
  size_t unlabeled = 0;
  for (auto& f : files) {
    const int c = match_class(f, classes);
    if (c >= 0) {
      out.push_back({f, c});
      continue;
    }
    if (!skip_unlabeled) {
      const std::string file = (fs::path(folder) / f).string();
      if (c == kSeveralClasses) throw Error(file, "file name matches several classes (expected exactly one)");
      throw Error(file, "file name matches none of the classes (use --skip-unlabeled to skip such files)");
    }
    ++unlabeled;
  }
  if (skipped) *skipped = unlabeled;
  if (out.empty()) throw Error(folder, "no file name matches any of the classes");
  return out;
}

}  // namespace cortado
