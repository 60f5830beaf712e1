#pragma once
// Blockstore: the node's content blocks, keyed by multihash (so a CIDv0 and
// its CIDv1, or a raw and a dag-pb CID of the same bytes, share one block).
// The embedded backend is a directory laid out like Kubo's flatfs
// (/repo/flatfs/shard/v1/next-to-last/2):
//
//   <dir>/SHARDING                 "/repo/flatfs/shard/v1/next-to-last/2\n"
//   <dir>/<XY>/<KEY>.data          the block's bytes
//
// KEY is the multihash bytes in base32 upper case without padding (Kubo's
// datastore key), XY the two characters before KEY's last one.
//
// Integrity: put() refuses bytes that do not hash to the CID; get() re-hashes
// on every read and answers INTERNAL_ERROR "block <cid> is corrupted on disk"
// instead of returning bytes that do not match. has()/size() only stat.
// Durability: a put writes a temp file in the shard directory, fsyncs it,
// renames it over the final name and fsyncs the directory, so an acknowledged
// put survives power loss and a reader never sees a partial block.
//
// Identity-multihash CIDs carry their block inline: put() checks and stores
// nothing, get() answers from the CID, they are never enumerated. Blocks over
// ipld::kMaxBlockBytes (2 MiB) are refused with PAYLOAD_TOO_LARGE. Only hash
// functions we can verify (sha2-256, identity) are accepted.
//
// Thread-safety: every method may be called from any thread at once; the
// backend keeps no shared state beyond the filesystem. Removal is not
// coordinated with pins here: store/gc.h owns that.
//
//   auto bs = open_fs_blockstore(data_dir + "/blocks");
//   ANARQ_RETURN_IF_ERROR((*bs)->put(cid, bytes));
//   Result<std::string> block = (*bs)->get(cid);
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ipld/block.h"
#include "ipld/cid.h"

namespace anarq {

struct BlockstoreStats {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
};

class Blockstore {
 public:
  virtual ~Blockstore() = default;

  // Stores `block` under cid's multihash; OK at once when a file of the same
  // size is already there (a same-size corrupted file is not rewritten: get()
  // reports it, remove() then put() repairs it).
  // VALIDATION_ERROR when the bytes do not hash to the CID or the hash
  // function is one we cannot verify; PAYLOAD_TOO_LARGE over 2 MiB.
  virtual Status put(const ipld::Cid& cid, std::string_view block) = 0;
  // The verified bytes; NOT_FOUND when absent; INTERNAL_ERROR naming the CID
  // when the stored bytes do not hash to it.
  virtual Result<std::string> get(const ipld::Cid& cid) = 0;
  virtual Result<bool> has(const ipld::Cid& cid) = 0;
  // Stored size in bytes; NOT_FOUND when absent.
  virtual Result<uint64_t> size(const ipld::Cid& cid) = 0;
  // NOT_FOUND when absent; OK (nothing to do) for identity CIDs.
  virtual Status remove(const ipld::Cid& cid) = 0;

  // Calls fn for every stored block (never identity ones) with its multihash
  // and size, in no particular order; stops at fn's first error. Blocks put or
  // removed meanwhile may or may not be seen. fn may remove the block it is
  // given. Also deletes temp files a crash left behind (older than an hour).
  virtual Status for_each(const std::function<Status(const ipld::Multihash& mh, uint64_t size)>& fn) = 0;
  // Walks the whole store: O(blocks).
  virtual Result<BlockstoreStats> stats() = 0;

  // Bulk writes (file imports): each put() writes a temp file without fsync;
  // commit() flushes them all with one syncfs(2), renames them into place and
  // flushes again, so a block's final name appears only once its bytes are
  // durable — a crash leaves temp files (swept later), never a torn block.
  // Commits also happen on their own every kBatchMaxPending blocks, which
  // bounds memory. Destroying an uncommitted batch deletes its temp files.
  // One batch per thread; not thread-safe itself.
  class Batch {
   public:
    virtual ~Batch() = default;
    // `hashed`: the caller computed `cid` from exactly these bytes (the
    // importer does), so the hash check is skipped; every other put verifies.
    virtual Status put(const ipld::Cid& cid, std::string_view block, bool hashed = false) = 0;
    virtual Status commit() = 0;
  };
  static constexpr size_t kBatchMaxPending = 1024;
  virtual std::unique_ptr<Batch> batch() = 0;
};

// Opens (creating if needed) a flatfs-layout blockstore in `dir`. Refuses a
// directory whose SHARDING file names another layout. SERVICE_UNAVAILABLE
// when the directory cannot be created or read.
Result<std::unique_ptr<Blockstore>> open_fs_blockstore(const std::string& dir);

// Getters for ipld::DagWalker over a blockstore.
// links_getter reads (and verifies) only blocks whose codec can hold links and
// just checks that raw leaves are present, answering empty bytes for them:
// enough for pinning and GC, and it never reads file data.
ipld::BlockGetter links_getter(Blockstore& blocks);
// full_getter returns every block's verified bytes (CAR export).
ipld::BlockGetter full_getter(Blockstore& blocks);

}  // namespace anarq
