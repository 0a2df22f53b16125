#pragma once
// What retrieve_lmdb shows: the entries of a Datum database as a table, CSV or
// JSON lines, a summary (count, shapes, label histogram), and the images as PNGs.
#include <cstddef>
#include <iosfwd>
#include <string>

namespace cortado {

class LmdbReader;

enum class ListFormat { kTable, kCsv, kJsonl };
ListFormat parse_list_format(const std::string& name);  // "table", "csv", "jsonl"

// Which entries: all in key order, or the one with `key`; at most `limit` (0: no limit).
struct EntrySelection {
  std::string key;
  size_t limit = 0;
};

// Writes one line per entry: key, label, channels×height×width (of the decoded image
// for encoded datums, which store no shape), raw/encoded, size of the data in bytes.
void list_entries(LmdbReader& db, const EntrySelection& sel, ListFormat format, std::ostream& out);

// Count, entries per shape and kind, entries per label.
void print_summary(LmdbReader& db, const EntrySelection& sel, std::ostream& out);

// Writes each selected image as PNG into the new folder `dir` (built beside it and
// renamed into place), named "<key>_label<L>.png" with characters other than letters,
// digits, '.', '-' and '_' in the key replaced by '_'. Returns the number written.
size_t export_images(LmdbReader& db, const EntrySelection& sel, const std::string& dir,
                     bool force);

// The file name export_images gives an entry.
std::string export_file_name(const std::string& key, int label);

}  // namespace cortado
