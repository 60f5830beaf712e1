#include "store/content.h"

#include <filesystem>

#include "ipld/dag_cbor.h"
#include "ipld/multicodec.h"

namespace anarq {

Result<std::unique_ptr<ContentStore>> ContentStore::open(const std::string& data_dir, Db& db, const Clock& clock) {
  ANARQ_RETURN_IF_ERROR(db.migrate("content", content_migrations()));
  auto blocks = open_fs_blockstore((std::filesystem::path(data_dir) / "blocks").string());
  if (!blocks.ok()) return blocks.status();
  std::unique_ptr<ContentStore> cs(new ContentStore());
  cs->blocks_ = std::move(*blocks);
  auto pins = Pins::open(db, *cs->blocks_, clock);
  if (!pins.ok()) return pins.status();
  cs->pins_ = std::move(*pins);
  cs->gc_ = std::make_unique<Gc>(*cs->pins_);
  return cs;
}

Result<ipld::Cid> ContentStore::put_record(const Json& record, std::optional<std::string> resource_type) {
  auto bytes = ipld::dag_cbor_encode(record);
  if (!bytes.ok()) return bytes.status();
  ipld::Cid cid = ipld::Cid::v1_sha256(ipld::kCodecDagCbor, *bytes);
  auto guard = pins_->gc_lock().add_guard();
  ANARQ_RETURN_IF_ERROR(blocks_->put(cid, *bytes));
  if (resource_type) ANARQ_RETURN_IF_ERROR(pins_->pin(guard, cid, /*recursive=*/true, resource_type));
  return cid;
}

Result<Json> ContentStore::get_record(const ipld::Cid& cid) {
  if (cid.codec() != ipld::kCodecDagCbor) return Status::validation(cid.to_string() + " is not a DAG-CBOR record");
  auto block = blocks_->get(cid);
  if (!block.ok()) return block.status();
  return ipld::dag_cbor_decode(*block);
}

Result<std::unique_ptr<FileWriter>> ContentStore::add_file(AddOptions options) {
  std::unique_ptr<FileWriter> w(new FileWriter(*this, options, pins_->gc_lock().add_guard()));
  if (!options.only_hash) w->batch_ = blocks_->batch();
  Blockstore::Batch* batch = w->batch_.get();
  auto importer = ipld::FileImporter::create(options.import, [batch](const ipld::Cid& cid, std::string_view block) {
    return batch ? batch->put(cid, block, /*hashed=*/true) : Status();
  });
  if (!importer.ok()) return importer.status();
  w->importer_.emplace(std::move(*importer));
  return w;
}

Result<AddResult> FileWriter::finish() {
  auto root = importer_->finish();
  if (!root.ok()) return root.status();
  AddResult r{*root, importer_->file_size(), importer_->dag_size()};
  if (batch_) ANARQ_RETURN_IF_ERROR(batch_->commit());  // durable before anyone hears the CID
  if (options_.pin && !options_.only_hash)
    ANARQ_RETURN_IF_ERROR(store_->pins_->pin(guard_, *root, /*recursive=*/true, options_.resource_type,
                                             /*known_complete=*/true));  // every block just committed above
  guard_.release();
  return r;
}

Result<AddResult> ContentStore::add_bytes(std::string_view data, AddOptions options) {
  auto w = add_file(std::move(options));
  if (!w.ok()) return w.status();
  ANARQ_RETURN_IF_ERROR((*w)->write(data));
  return (*w)->finish();
}

Result<ipld::FileReader> ContentStore::open_file(const ipld::Cid& cid) { return ipld::FileReader::open(cid, getter()); }

Status ContentStore::pin(const ipld::Cid& cid, bool recursive, std::optional<std::string> resource_type) {
  auto guard = pins_->gc_lock().add_guard();
  return pins_->pin(guard, cid, recursive, std::move(resource_type));
}

Status ContentStore::unpin(const ipld::Cid& cid, std::optional<std::string> resource_type) {
  return pins_->unpin(cid, std::move(resource_type));
}

Result<GcReport> ContentStore::gc() { return gc_->run(); }

}  // namespace anarq
