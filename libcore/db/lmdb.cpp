#include "db/lmdb.hpp"

#include <lmdb.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado {
namespace {

std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

[[noreturn]] void fail(const std::string& path, const std::string& doing, int rc) {
  throw Error(path, doing + ": " + mdb_strerror(rc));
}

// The file must hold every page the meta page counts: LMDB maps the file, and a
// read past its end (a copy cut short) would end the process by SIGBUS.
void check_whole(const std::string& path, MDB_env* env) {
  MDB_envinfo info{};
  MDB_stat st{};
  std::error_code ec;
  const auto bytes = fs::file_size(fs::path(path) / "data.mdb", ec);
  if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0 || ec) return;
  const auto needed = (static_cast<uintmax_t>(info.me_last_pgno) + 1) * st.ms_psize;
  if (bytes >= needed) return;
  mdb_env_close(env);
  throw Error(path, "not a whole LMDB database: data.mdb has " + std::to_string(bytes) +
                        " bytes, its pages need " + std::to_string(needed) + " (truncated copy?)");
}

// Opens `path` read-only. Without a lock file we open without locking rather than
// create one: reading a database never changes its folder (read-only copies,
// databases in a source tree), and our databases are never written after they are built.
MDB_env* open_read_env(const std::string& path) {
  std::error_code ec;
  // Two meta pages at least; LMDB itself reports shorter files confusingly (EBADF, ENOENT).
  if (fs::file_size(fs::path(path) / "data.mdb", ec) < 2 * 4096 || ec)
    throw Error(path, "not an LMDB database (data.mdb is empty or truncated)");
  const bool has_lock = fs::exists(fs::path(path) / "lock.mdb");
  for (unsigned extra : {has_lock ? 0u : unsigned(MDB_NOLOCK), unsigned(MDB_NOLOCK)}) {
    MDB_env* env = nullptr;
    int rc = mdb_env_create(&env);
    if (rc != 0) fail(path, "cannot open LMDB", rc);
    rc = mdb_env_open(env, path.c_str(), MDB_RDONLY | MDB_NOTLS | extra, 0664);
    if (rc == 0) {
      check_whole(path, env);
      return env;
    }
    mdb_env_close(env);
    // A lock file we may not write (read-only folder or file): retry without it.
    if ((rc == EACCES || rc == EROFS) && extra == 0) continue;
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
      throw Error(path, "not an LMDB database (data.mdb is damaged or of another format)");
    fail(path, "cannot open LMDB", rc);
  }
  throw Error(path, "cannot open LMDB");
}

}  // namespace

bool is_lmdb(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(fs::path(path) / "data.mdb", ec);
}

// --- LmdbReader ---------------------------------------------------------------

LmdbReader::LmdbReader(const std::string& path) : path_(path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path, "no such LMDB folder");
  if (!fs::is_directory(path, ec)) throw Error(path, "is a file, expected an LMDB folder");
  if (!is_lmdb(path)) throw Error(path, "not an LMDB database (expected a folder with data.mdb)");
  env_ = open_read_env(path);
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_);
  if (rc == 0) rc = mdb_dbi_open(txn_, nullptr, 0, &dbi_);
  if (rc == 0) rc = mdb_cursor_open(txn_, dbi_, &cursor_);
  MDB_stat st{};
  if (rc == 0) rc = mdb_stat(txn_, dbi_, &st);
  if (rc != 0) {
    close();
    fail(path, "cannot read LMDB", rc);
  }
  size_ = st.ms_entries;
}

LmdbReader::~LmdbReader() { close(); }

void LmdbReader::close() {
  if (cursor_) mdb_cursor_close(cursor_);
  if (txn_) mdb_txn_abort(txn_);
  if (env_) mdb_env_close(env_);
  cursor_ = nullptr;
  txn_ = nullptr;
  env_ = nullptr;
}

bool LmdbReader::load(int op, std::string_view key) {
  MDB_val k = val(key), v{};
  int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
  if (rc == MDB_NOTFOUND) {
    valid_ = false;
    return false;
  }
  if (rc != 0) fail(path_, "cannot read LMDB", rc);
  key_ = view(k);
  value_ = view(v);
  valid_ = true;
  return true;
}

bool LmdbReader::seek_first() {
  index_known_ = true;
  index_ = 0;
  return load(MDB_FIRST);
}

bool LmdbReader::next() {
  CORTADO_ASSERT(valid_);
  ++index_;
  return load(MDB_NEXT);
}

bool LmdbReader::next_wrap() {
  if (empty()) throw Error(path_, "the database is empty");
  if (valid_ && next()) return false;
  seek_first();
  return true;
}

bool LmdbReader::seek(std::string_view key) {
  index_known_ = false;
  return load(MDB_SET_KEY, key);
}

bool LmdbReader::seek_index(size_t index) {
  if (index >= size_) {
    valid_ = false;
    return false;
  }
  seek_first();
  while (index_ < index && next()) {
  }
  return valid_;
}

std::string_view LmdbReader::key() const {
  CORTADO_ASSERT(valid_);
  return key_;
}

std::string_view LmdbReader::value() const {
  CORTADO_ASSERT(valid_);
  return value_;
}

size_t LmdbReader::index() const {
  CORTADO_ASSERT(valid_);
  if (!index_known_) {
    // Count the entries before the current key with a second cursor.
    MDB_cursor* c = nullptr;
    int rc = mdb_cursor_open(txn_, dbi_, &c);
    if (rc != 0) fail(path_, "cannot read LMDB", rc);
    MDB_val k{}, v{};
    size_t n = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && view(k) != key_;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
      ++n;
    mdb_cursor_close(c);
    index_ = n;
    index_known_ = true;
  }
  return index_;
}

// --- LmdbWriter ---------------------------------------------------------------

LmdbWriter::LmdbWriter(const std::string& path, size_t batch_size, size_t initial_map_size)
    : path_(path), batch_size_(batch_size ? batch_size : 1), map_size_(initial_map_size) {
  int rc = mdb_env_create(&env_);
  if (rc == 0) rc = mdb_env_set_mapsize(env_, map_size_);
  // Durability comes from finish() (an explicit sync) and from building the database
  // in a temporary folder that is renamed into place only when complete.
  if (rc == 0) rc = mdb_env_open(env_, path.c_str(), MDB_NOSYNC, 0664);
  MDB_txn* txn = nullptr;
  if (rc == 0) rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
  if (rc == 0) rc = mdb_txn_commit(txn);
  else if (txn) mdb_txn_abort(txn);
  if (rc != 0) {
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
    fail(path, "cannot create LMDB", rc);
  }
  pending_.reserve(batch_size_);
}

LmdbWriter::~LmdbWriter() {
  if (env_) mdb_env_close(env_);
}

void LmdbWriter::put(std::string_view key, std::string_view value) {
  CORTADO_ASSERT(env_ != nullptr);
  if (key.empty() || key.size() > 511)
    throw Error(path_, "LMDB keys must be 1 to 511 bytes long, got " + std::to_string(key.size()) +
                           " bytes for '" + std::string(key.substr(0, 64)) + "'");
  pending_.emplace_back(std::string(key), std::string(value));
  if (pending_.size() >= batch_size_) commit_batch();
}

// Writes the pending batch in one transaction. When the map is full the whole
// transaction is abandoned, the map doubled and the batch written again.
void LmdbWriter::commit_batch() {
  if (pending_.empty()) return;
  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) fail(path_, "cannot write LMDB", rc);
    // Keys beyond the largest so far (create_lmdb's always are) are appended:
    // faster, and the pages come out full instead of half-empty.
    std::string largest = largest_key_;
    for (auto& [k, v] : pending_) {
      MDB_val mk = val(k), mv = val(v);
      const bool append = k > largest;
      rc = mdb_put(txn, dbi_, &mk, &mv, append ? MDB_APPEND : 0);
      if (rc != 0) break;
      if (append) largest = k;
    }
    if (rc == 0) rc = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    if (rc == 0) {
      largest_key_ = std::move(largest);
      break;
    }
    if (rc != MDB_MAP_FULL) fail(path_, "cannot write LMDB", rc);
    map_size_ *= 2;
    rc = mdb_env_set_mapsize(env_, map_size_);
    if (rc != 0) fail(path_, "cannot grow the LMDB map", rc);
  }
  count_ += pending_.size();
  pending_.clear();
}

void LmdbWriter::finish() {
  CORTADO_ASSERT(env_ != nullptr);
  commit_batch();
  int rc = mdb_env_sync(env_, 1);
  if (rc != 0) fail(path_, "cannot flush LMDB", rc);
  mdb_env_close(env_);
  env_ = nullptr;
}

}  // namespace cortado
