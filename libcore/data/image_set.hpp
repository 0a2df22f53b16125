#pragma once
// Which images go into a database and with which labels: Caffe's list file
// (`relative/path label` per line) or a folder whose file names carry a class keyword.
#include <cstddef>
#include <string>
#include <vector>

namespace cortado {

struct LabeledImage {
  std::string path;  // relative to the image root; also the key suffix (%08d_<path>)
  int label = 0;
};

// Caffe's convert_imageset list: one `path label` per line, split at the last space
// (so paths may hold spaces). Blank lines are skipped; anything else malformed is an
// Error naming "file:line".
std::vector<LabeledImage> read_image_list(const std::string& list_path);

// How file names are matched to class keywords (documented in create_lmdb --help):
// the file name (without folders) and each keyword are split into words at every
// character that is not a letter or digit, case ignored; a keyword matches when its
// words appear as consecutive whole words of the file name. So "sneaker.123.png" is
// "sneaker", "ankle_boot.7.png" is "ankle_boot", and "tshirt.19.png" is "tshirt" only,
// never "shirt".
// Returns the index of the one matching class, kNoClass, or kSeveralClasses.
constexpr int kNoClass = -1;
constexpr int kSeveralClasses = -2;
int match_class(const std::string& file_name, const std::vector<std::string>& classes);

// Splits "cat,dog" into keywords; empty or repeated keywords are Errors.
std::vector<std::string> parse_class_list(const std::string& comma_separated);

// The images of a class folder: every file with an image extension under `folder`
// (recursively, sorted by path), labelled by match_class. A file that matches no
// class or several is an Error naming it, unless `skip_unlabeled` (then counted in
// `*skipped`). No image at all is an Error.
std::vector<LabeledImage> list_class_folder(const std::string& folder,
                                            const std::vector<std::string>& classes,
                                            bool skip_unlabeled, size_t* skipped);

// True for the extensions OpenCV can decode (png, jpg, jpeg, bmp, tif, ...).
bool has_image_extension(const std::string& path);

}  // namespace cortado
