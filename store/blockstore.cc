// Flatfs-layout blockstore (see blockstore.h for the layout and contracts).
// POSIX calls rather than iostreams: we need O_EXCL temp files, fsync of files
// and directories, and errno in our messages.
#include "store/blockstore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "ipld/multibase.h"
#include "ipld/multicodec.h"

namespace anarq {
namespace {

namespace fs = std::filesystem;
using ipld::Cid;
using ipld::Multihash;

constexpr const char* kShardingFile = "SHARDING";
constexpr std::string_view kShardingId = "/repo/flatfs/shard/v1/next-to-last/2";
constexpr size_t kShardChars = 2;
constexpr std::string_view kExtension = ".data";
// Temp files start with a dot and lack the extension, so enumeration and
// Kubo's flatfs both pass over them.
constexpr std::string_view kTempPrefix = ".put-";
constexpr auto kStaleTempAge = std::chrono::hours(1);

std::string errno_text(int err) { return std::generic_category().message(err); }

Status io_error(const std::string& what, const std::string& path, int err) {
  return Status::internal("blockstore: " + what + " " + path + ": " + errno_text(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  // Closes now, reporting the error a deferred write may surface at close.
  int close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

Status sync_dir(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return io_error("cannot open directory", path, errno);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync directory", path, errno);
  return {};
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  return std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
}

Status not_found(const Cid& cid) {
  return Status::not_found("block " + cid.to_string() + " is not in the local blockstore");
}

class FsBlockstore final : public Blockstore {
 public:
  explicit FsBlockstore(std::string dir) : dir_(std::move(dir)) {}

  Status put(const Cid& cid, std::string_view block) override {
    const Multihash& mh = cid.multihash();
    if (block.size() > ipld::kMaxBlockBytes) {
      return Status(ErrorCode::kPayloadTooLarge, "block " + cid.to_string() + " is " +
                                                     std::to_string(block.size()) + " bytes, over the " +
                                                     std::to_string(ipld::kMaxBlockBytes) + "-byte limit");
    }
    if (!mh.is_supported()) {
      return Status::validation("block " + cid.to_string() + " uses a hash function we cannot verify");
    }
    if (!mh.verify(block).ok()) {
      return Status::validation("block bytes do not hash to " + cid.to_string());
    }
    if (mh.code() == ipld::kMultihashIdentity) return {};

    const std::string key = key_of(mh);
    const std::string shard = shard_dir(key);
    const std::string final_path = shard + "/" + key + std::string(kExtension);
    struct stat st {};
    // Already there with the right size: done. A wrong size (a torn or
    // tampered file) is rewritten, which repairs it.
    if (::stat(final_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) == block.size()) {
      return {};
    }
    ANARQ_RETURN_IF_ERROR(ensure_shard(shard));

    const std::string temp = shard + "/" + std::string(kTempPrefix) + key + "." + unique_suffix();
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.ok()) return io_error("cannot create", temp, errno);
    Status s = write_all(fd.get(), block, temp);
    if (s.ok() && ::fsync(fd.get()) != 0) s = io_error("cannot fsync", temp, errno);
    if (s.ok() && fd.close() != 0) s = io_error("cannot close", temp, errno);
    if (s.ok() && ::rename(temp.c_str(), final_path.c_str()) != 0) {
      s = io_error("cannot rename into place", final_path, errno);
    }
    if (!s.ok()) {
      ::unlink(temp.c_str());
      return s;
    }
    return sync_dir(shard);
  }

  std::unique_ptr<Batch> batch() override;

  // Shared by put() and the batch: hash checks, identity and size limits.
  // Returns the final path, or "" when there is nothing to write.
  Result<std::string> prepare(const Cid& cid, std::string_view block, bool hashed = false) {
    const Multihash& mh = cid.multihash();
    if (block.size() > ipld::kMaxBlockBytes)
      return Status(ErrorCode::kPayloadTooLarge, "block " + cid.to_string() + " is " + std::to_string(block.size()) +
                                                     " bytes, over the " + std::to_string(ipld::kMaxBlockBytes) + "-byte limit");
    if (!mh.is_supported()) return Status::validation("block " + cid.to_string() + " uses a hash function we cannot verify");
    if (!hashed && !mh.verify(block).ok()) return Status::validation("block bytes do not hash to " + cid.to_string());
    if (mh.code() == ipld::kMultihashIdentity) return std::string();
    const std::string key = key_of(mh);
    const std::string shard = shard_dir(key);
    const std::string final_path = shard + "/" + key + std::string(kExtension);
    struct stat st {};
    if (::stat(final_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == block.size())
      return std::string();
    ANARQ_RETURN_IF_ERROR(ensure_shard(shard));
    return final_path;
  }

  const std::string& dir() const { return dir_; }

  Result<std::string> get(const Cid& cid) override {
    const Multihash& mh = cid.multihash();
    if (mh.code() == ipld::kMultihashIdentity) return mh.digest();
    if (!mh.is_supported()) return not_found(cid);  // never stored
    const std::string path = path_of(mh);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) {
      if (errno == ENOENT) return not_found(cid);
      return io_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat", path, errno);
    if (static_cast<uint64_t>(st.st_size) > ipld::kMaxBlockBytes) {
      return corrupted(cid, std::to_string(st.st_size) + " bytes, more than any block may have");
    }
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    size_t have = 0;
    while (have < bytes.size()) {
      const ssize_t n = ::read(fd.get(), bytes.data() + have, bytes.size() - have);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot read", path, errno);
      }
      if (n == 0) break;  // shrank under us: the hash check below catches it
      have += static_cast<size_t>(n);
    }
    bytes.resize(have);
    if (!mh.verify(bytes).ok()) return corrupted(cid, "its bytes do not hash to the CID");
    return bytes;
  }

  Result<bool> has(const Cid& cid) override {
    const Multihash& mh = cid.multihash();
    if (mh.code() == ipld::kMultihashIdentity) return true;
    if (!mh.is_supported()) return false;
    struct stat st {};
    const std::string path = path_of(mh);
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      return io_error("cannot stat", path, errno);
    }
    return S_ISREG(st.st_mode);
  }

  Result<uint64_t> size(const Cid& cid) override {
    const Multihash& mh = cid.multihash();
    if (mh.code() == ipld::kMultihashIdentity) return uint64_t{mh.digest().size()};
    if (!mh.is_supported()) return not_found(cid);
    struct stat st {};
    const std::string path = path_of(mh);
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return not_found(cid);
      return io_error("cannot stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) return not_found(cid);
    return static_cast<uint64_t>(st.st_size);
  }

  Status remove(const Cid& cid) override {
    const Multihash& mh = cid.multihash();
    if (mh.code() == ipld::kMultihashIdentity) return {};
    if (!mh.is_supported()) return not_found(cid);
    const std::string path = path_of(mh);
    // No directory fsync: a removal lost to a crash only leaves the block for
    // the next GC.
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return not_found(cid);
      return io_error("cannot remove", path, errno);
    }
    return {};
  }

  Status for_each(const std::function<Status(const Multihash&, uint64_t)>& fn) override {
    std::error_code ec;
    std::vector<std::string> shards;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code entry_ec;
      const std::string name = it->path().filename().string();
      if (name.size() == kShardChars && it->is_directory(entry_ec)) shards.push_back(name);
    }
    if (ec) return Status::internal("blockstore: cannot list " + dir_ + ": " + ec.message());
    std::sort(shards.begin(), shards.end());

    const auto stale_before = fs::file_time_type::clock::now() - kStaleTempAge;
    for (const std::string& shard : shards) {
      // The listing is taken whole before fn runs, so fn may remove entries.
      std::vector<std::pair<std::string, uint64_t>> entries;
      const std::string shard_path = dir_ + "/" + shard;
      for (fs::directory_iterator it(shard_path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code entry_ec;
        std::string name = it->path().filename().string();
        if (name.starts_with(kTempPrefix)) {
          const auto written = it->last_write_time(entry_ec);
          if (!entry_ec && written < stale_before) fs::remove(it->path(), entry_ec);
          continue;
        }
        if (!name.ends_with(kExtension)) continue;
        const uint64_t size = it->file_size(entry_ec);
        if (entry_ec) continue;  // removed meanwhile, or not a regular file
        entries.emplace_back(std::move(name), size);
      }
      if (ec) return Status::internal("blockstore: cannot list " + shard_path + ": " + ec.message());
      for (const auto& [name, size] : entries) {
        Result<Multihash> mh = multihash_of(std::string_view(name).substr(0, name.size() - kExtension.size()));
        if (!mh.ok() || mh->code() == ipld::kMultihashIdentity) continue;  // not a block of ours
        ANARQ_RETURN_IF_ERROR(fn(*mh, size));
      }
    }
    return {};
  }

  Result<BlockstoreStats> stats() override {
    BlockstoreStats stats;
    Status s = for_each([&](const Multihash&, uint64_t size) {
      ++stats.blocks;
      stats.bytes += size;
      return Status();
    });
    if (!s.ok()) return s;
    return stats;
  }

 private:
  static std::string key_of(const Multihash& mh) { return ipld::base32_encode(mh.bytes(), /*upper=*/true); }

  static Result<Multihash> multihash_of(std::string_view key) {
    Result<std::string> bytes = ipld::base32_decode(key, /*upper=*/true);
    if (!bytes.ok()) return bytes.status();
    return Multihash::from_bytes(*bytes);
  }

  // flatfs next-to-last/2: the two characters before the last, with '_'
  // padding in front for keys shorter than three.
  std::string shard_dir(const std::string& key) const {
    const std::string padded = std::string(kShardChars + 1, '_') + key;
    return dir_ + "/" + padded.substr(padded.size() - kShardChars - 1, kShardChars);
  }

  std::string path_of(const Multihash& mh) const {
    const std::string key = key_of(mh);
    return shard_dir(key) + "/" + key + std::string(kExtension);
  }

  Status ensure_shard(const std::string& shard) {
    if (::mkdir(shard.c_str(), 0755) == 0) return sync_dir(dir_);  // the new entry must survive too
    if (errno == EEXIST) return {};
    return io_error("cannot create directory", shard, errno);
  }

  static Status corrupted(const Cid& cid, const std::string& why) {
    return Status(ErrorCode::kInternalError, "block " + cid.to_string() + " is corrupted on disk: " + why,
                  Json{{"cid", cid.to_string()}});
  }

  std::string dir_;
};

Status prepare_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::unavailable("blockstore: cannot create " + dir + ": " + ec.message());
  const std::string sharding = dir + "/" + kShardingFile;
  Fd in(::open(sharding.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.ok()) {
    char buf[128];
    const ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0) return Status::unavailable("blockstore: cannot read " + sharding + ": " + errno_text(errno));
    std::string_view id(buf, static_cast<size_t>(n));
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.remove_suffix(1);
    if (id != kShardingId) {
      return Status::unavailable("blockstore: " + dir + " uses sharding \"" + std::string(id) + "\", expected \"" +
                                 std::string(kShardingId) + "\"");
    }
    return {};
  }
  if (errno != ENOENT) return Status::unavailable("blockstore: cannot open " + sharding + ": " + errno_text(errno));
  Fd out(::open(sharding.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.ok()) return Status::unavailable("blockstore: cannot create " + sharding + ": " + errno_text(errno));
  Status s = write_all(out.get(), std::string(kShardingId) + "\n", sharding);
  if (s.ok() && ::fsync(out.get()) != 0) s = io_error("cannot fsync", sharding, errno);
  if (!s.ok()) return Status::unavailable(s.message());
  return sync_dir(dir);
}

}  // namespace

class FsBatch final : public Blockstore::Batch {
 public:
  explicit FsBatch(FsBlockstore& store) : store_(store) {}
  ~FsBatch() override {
    for (const auto& [temp, final_path] : pending_) ::unlink(temp.c_str());
  }

  Status put(const Cid& cid, std::string_view block, bool hashed) override {
    auto final_path = store_.prepare(cid, block, hashed);
    if (!final_path.ok()) return final_path.status();
    if (final_path->empty()) return {};
    // The temp file sits in the final name's shard directory: rename is atomic.
    const size_t slash = final_path->rfind('/');
    std::string temp_path = final_path->substr(0, slash + 1) + std::string(kTempPrefix) +
                            final_path->substr(slash + 1) + "." + unique_suffix();
    Fd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.ok()) return io_error("cannot create", temp_path, errno);
    Status s = write_all(fd.get(), block, temp_path);
    // Start write-back now (no waiting), so the commit's syncfs finds little left to flush.
    if (s.ok()) ::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    if (s.ok() && fd.close() != 0) s = io_error("cannot close", temp_path, errno);
    if (!s.ok()) {
      ::unlink(temp_path.c_str());
      return s;
    }
    pending_.emplace_back(std::move(temp_path), std::move(*final_path));
    if (pending_.size() >= Blockstore::kBatchMaxPending) return commit();
    return {};
  }

  Status commit() override {
    if (pending_.empty()) return {};
    ANARQ_RETURN_IF_ERROR(syncfs_dir());  // the bytes first
    for (const auto& [temp, final_path] : pending_)
      if (::rename(temp.c_str(), final_path.c_str()) != 0) return io_error("cannot rename into place", final_path, errno);
    pending_.clear();
    return syncfs_dir();  // then the names
  }

 private:
  Status syncfs_dir() {
    Fd fd(::open(store_.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.ok()) return io_error("cannot open", store_.dir(), errno);
    if (::syncfs(fd.get()) != 0) return io_error("cannot syncfs", store_.dir(), errno);
    return {};
  }

  FsBlockstore& store_;
  std::vector<std::pair<std::string, std::string>> pending_;  // temp path, final path
};

std::unique_ptr<Blockstore::Batch> FsBlockstore::batch() { return std::make_unique<FsBatch>(*this); }

Result<std::unique_ptr<Blockstore>> open_fs_blockstore(const std::string& dir) {
  if (dir.empty()) return Status::validation("blockstore: empty directory path");
  ANARQ_RETURN_IF_ERROR(prepare_dir(dir));
  return std::unique_ptr<Blockstore>(std::make_unique<FsBlockstore>(dir));
}

ipld::BlockGetter links_getter(Blockstore& blocks) {
  return [&blocks](const Cid& cid) -> Result<std::string> {
    if (cid.codec() == ipld::kCodecRaw && cid.multihash().code() != ipld::kMultihashIdentity) {
      Result<bool> present = blocks.has(cid);
      if (!present.ok()) return present.status();
      if (!*present) return not_found(cid);
      return std::string();
    }
    return blocks.get(cid);
  };
}

ipld::BlockGetter full_getter(Blockstore& blocks) {
  return [&blocks](const Cid& cid) { return blocks.get(cid); };
}

}  // namespace anarq
