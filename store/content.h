#pragma once
// ContentStore: the one entry point modules (and the Kubo RPC / gateway
// surfaces) use for immutable content: DAG-CBOR records, UnixFS files, pins
// with per-resource-type policies, GC and CAR. Owns the blockstore, pins and
// GC of one node. Thread-safe.
//
//   auto cs = ContentStore::open(data_dir, db, clock);
//   auto cid = (*cs)->put_record({{"kind", "receipt"}, {"amount", 5}}, "qwallet:receipt");
//   auto rec = (*cs)->get_record(*cid);          // verified against the CID
//   auto w = (*cs)->add_file({});                 // stream a file in
//   w->write(bytes); auto added = w->finish();    // durable before it returns
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "ipld/exporter.h"
#include "ipld/importer.h"
#include "store/blockstore.h"
#include "store/db.h"
#include "store/gc.h"
#include "store/pins.h"

namespace anarq {

struct AddOptions {
  ipld::ImportOptions import;
  bool pin = true;                           // recursive pin of the root
  bool only_hash = false;                    // compute the CID, store nothing
  std::optional<std::string> resource_type;  // pin under this type's policy
};

struct AddResult {
  ipld::Cid cid;
  uint64_t file_size = 0;
  uint64_t dag_size = 0;  // cumulative block bytes (Kubo's "Size")
};

class ContentStore;

// Streams one file in. Holds the GC add guard from creation to finish(), so a
// concurrent GC can never sweep its blocks before they are pinned.
class FileWriter {
 public:
  Status write(std::string_view data) { return importer_->write(data); }
  // Makes every block durable, pins the root if asked, returns the root.
  Result<AddResult> finish();

 private:
  friend class ContentStore;
  FileWriter(ContentStore& store, AddOptions options, GcLock::AddGuard guard)
      : store_(&store), options_(std::move(options)), guard_(std::move(guard)) {}
  ContentStore* store_;
  AddOptions options_;
  GcLock::AddGuard guard_;
  // Blocks go through one batch: written without fsync, made durable together
  // (one syncfs per kBatchMaxPending blocks and at finish), not one fsync each.
  std::unique_ptr<Blockstore::Batch> batch_;
  std::optional<ipld::FileImporter> importer_;
};

class ContentStore {
 public:
  // Blocks live in <data_dir>/blocks; pins and policies in `db` (runs the
  // content migrations).
  static Result<std::unique_ptr<ContentStore>> open(const std::string& data_dir, Db& db, const Clock& clock);

  // A record as deterministic DAG-CBOR (CIDv1 0x71), stored durably and pinned
  // when a resource type is given (under that type's policy).
  Result<ipld::Cid> put_record(const Json& record, std::optional<std::string> resource_type = std::nullopt);
  // The record, decoded from a block verified against its CID.
  Result<Json> get_record(const ipld::Cid& cid);

  Result<std::unique_ptr<FileWriter>> add_file(AddOptions options);
  Result<AddResult> add_bytes(std::string_view data, AddOptions options);
  Result<ipld::FileReader> open_file(const ipld::Cid& cid);

  Status pin(const ipld::Cid& cid, bool recursive, std::optional<std::string> resource_type = std::nullopt);
  Status unpin(const ipld::Cid& cid, std::optional<std::string> resource_type = std::nullopt);
  Result<GcReport> gc();

  Blockstore& blocks() { return *blocks_; }
  Pins& pins() { return *pins_; }
  ipld::BlockGetter getter() { return full_getter(*blocks_); }

 private:
  friend class FileWriter;
  ContentStore() = default;
  std::unique_ptr<Blockstore> blocks_;
  std::unique_ptr<Pins> pins_;
  std::unique_ptr<Gc> gc_;
};

}  // namespace anarq
