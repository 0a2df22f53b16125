#pragma once
// LMDB, the way Caffe's tools and Data layer use it: key -> serialized Datum.
//
// LmdbReader: one read-only cursor over a database, in key order. Built so that a
// prefetch thread can own it (the environment is opened with MDB_NOTLS, so the
// read transaction may live in a thread other than the one that opened it) and so
// that its position can be saved and restored exactly (key() / index(), seek()).
// Views returned by key() and value() point into the memory map: no copies, valid
// until the cursor moves or the reader is destroyed.
//
// LmdbWriter: batched write transactions into a new database; the map grows
// (doubles) on MDB_MAP_FULL instead of reserving a fixed 1 TB map.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace cortado {

// True when `path` is a folder holding an LMDB data file (data.mdb).
bool is_lmdb(const std::string& path);

class LmdbReader {
 public:
  // A missing path, a folder without data.mdb or a damaged file is an Error naming `path`.
  // A read-only folder (no lock file can be made) is opened without locking.
  explicit LmdbReader(const std::string& path);
  ~LmdbReader();
  LmdbReader(const LmdbReader&) = delete;
  LmdbReader& operator=(const LmdbReader&) = delete;

  const std::string& path() const { return path_; }
  // Number of entries (from the database statistics; O(1)).
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Moves to the first entry; false (and !valid()) when the database is empty.
  bool seek_first();
  // Moves to the next entry; false (and !valid()) past the last one.
  bool next();
  // Moves to the next entry, or back to the first after the last one (the Data
  // layer's endless epochs). Returns true when it wrapped. Empty database: Error.
  bool next_wrap();
  // Moves to the entry with exactly this key; false (and !valid()) if there is none.
  bool seek(std::string_view key);
  // Moves to the index-th entry in key order (0-based; O(index)); false if index >= size().
  bool seek_index(size_t index);

  bool valid() const { return valid_; }
  // The current entry. Calling these when !valid() is a bug (InternalError).
  std::string_view key() const;
  std::string_view value() const;
  // 0-based position of the current entry in key order. Tracked while moving with
  // seek_first/next/next_wrap/seek_index; after seek(key) it is counted once (O(position)).
  size_t index() const;

 private:
  bool load(int op, std::string_view key = {});
  void close();
  std::string path_;
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  unsigned dbi_ = 0;
  size_t size_ = 0;
  bool valid_ = false;
  mutable bool index_known_ = false;
  mutable size_t index_ = 0;
  std::string_view key_, value_;
};

class LmdbWriter {
 public:
  // `path` is an existing empty folder (usually AtomicDir::temp_path()).
  // Puts are committed every `batch_size` entries, as Caffe's tools do (1000). The map
  // starts at `initial_map_size` bytes and doubles whenever it is full.
  explicit LmdbWriter(const std::string& path, size_t batch_size = 1000,
                      size_t initial_map_size = size_t(64) << 20);
  ~LmdbWriter();  // an uncommitted batch is dropped: call finish() on success
  LmdbWriter(const LmdbWriter&) = delete;
  LmdbWriter& operator=(const LmdbWriter&) = delete;

  // Adds or replaces one entry (copied into the pending batch).
  void put(std::string_view key, std::string_view value);
  // Commits the pending batch and closes the environment (data flushed to disk).
  void finish();
  size_t count() const { return count_; }
  size_t map_size() const { return map_size_; }

 private:
  void commit_batch();
  std::string path_;
  MDB_env* env_ = nullptr;
  unsigned dbi_ = 0;
  size_t batch_size_, count_ = 0, map_size_;
  std::vector<std::pair<std::string, std::string>> pending_;
  std::string largest_key_;  // of the committed entries
};

}  // namespace cortado
