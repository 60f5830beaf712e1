#include "ipld/cid.h"

#include <cassert>
#include <ostream>

#include "ipld/multicodec.h"
#include "ipld/varint.h"

namespace anarq::ipld {
namespace {

bool is_v0_hash(const Multihash& mh) {
  return mh.code() == kMultihashSha2_256 && mh.digest().size() == kSha256Bytes;
}

constexpr size_t kV0TextBytes = 46;
constexpr size_t kV0Bytes = 34;

}  // namespace

Result<Cid> Cid::create(uint64_t version, uint64_t codec, Multihash hash) {
  if (version == 0) {
    if (codec != kCodecDagPb) return Status::validation("cid: a CIDv0 is always dag-pb");
    if (!is_v0_hash(hash)) return Status::validation("cid: a CIDv0 needs a sha2-256 multihash");
    return Cid(0, codec, std::move(hash));
  }
  if (version != 1) return Status::validation("cid: unsupported version " + std::to_string(version));
  if (codec > kMaxVarintValue) return Status::validation("cid: codec does not fit a varint");
  return Cid(1, codec, std::move(hash));
}

Cid Cid::v1(uint64_t codec, Multihash hash) {
  assert(codec <= kMaxVarintValue);
  return Cid(1, codec, std::move(hash));
}

Cid Cid::v1_sha256(uint64_t codec, std::string_view data) {
  return Cid(1, codec, Multihash::sha256(data));
}

Cid Cid::v0_sha256(std::string_view dag_pb_bytes) {
  return Cid(0, kCodecDagPb, Multihash::sha256(dag_pb_bytes));
}

Result<Cid> Cid::read(std::string_view& in) {
  // A CIDv0 is a bare sha2-256 multihash: it starts 0x12 0x20. No CIDv1 can
  // (its first byte is the version varint 0x01).
  if (in.size() >= 2 && static_cast<uint8_t>(in[0]) == 0x12 && static_cast<uint8_t>(in[1]) == 0x20) {
    if (in.size() < kV0Bytes) return Status::validation("cid: truncated CIDv0");
    Result<Multihash> mh = Multihash::from_bytes(in.substr(0, kV0Bytes));
    if (!mh.ok()) return Status::validation("cid: " + mh.status().message());
    in.remove_prefix(kV0Bytes);
    return Cid(0, kCodecDagPb, std::move(mh).value());
  }
  std::string_view cursor = in;
  Result<uint64_t> version = get_varint(cursor);
  if (!version.ok()) return Status::validation("cid version: " + version.status().message());
  if (*version == 0x12) return Status::validation("cid: CIDv0 must be a 32-byte sha2-256 multihash");
  if (*version != 1) return Status::validation("cid: unsupported version " + std::to_string(*version));
  Result<uint64_t> codec = get_varint(cursor);
  if (!codec.ok()) return Status::validation("cid codec: " + codec.status().message());
  Result<Multihash> mh = Multihash::read(cursor);
  if (!mh.ok()) return Status::validation("cid: " + mh.status().message());
  in = cursor;
  return Cid(1, *codec, std::move(mh).value());
}

Result<Cid> Cid::from_bytes(std::string_view bytes) {
  if (bytes.empty()) return Status::validation("cid: no bytes");
  Result<Cid> cid = read(bytes);
  if (cid.ok() && !bytes.empty()) {
    return Status::validation("cid: " + std::to_string(bytes.size()) + " trailing bytes");
  }
  return cid;
}

Result<Cid> Cid::parse(std::string_view text) {
  if (text.empty()) return Status::validation("cid: empty string");
  if (text.size() > kMaxCidTextBytes) {
    return Status::validation("cid: longer than " + std::to_string(kMaxCidTextBytes) + " characters");
  }
  if (text.size() == kV0TextBytes && text.substr(0, 2) == "Qm") {
    Result<std::string> bytes = base58btc_decode(text);
    if (!bytes.ok()) return Status::validation("cid: " + bytes.status().message());
    if (bytes->size() != kV0Bytes) return Status::validation("cid: CIDv0 does not decode to 34 bytes");
    return from_bytes(*bytes);
  }
  Result<MultibaseBytes> decoded = multibase_decode(text);
  if (!decoded.ok()) return Status::validation("cid: " + decoded.status().message());
  const std::string& bytes = decoded->bytes;
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == 0x12) {
    return Status::validation("cid: a CIDv0 may not be multibase-encoded");
  }
  Result<Cid> cid = from_bytes(bytes);
  if (cid.ok() && cid->version() != 1) return Status::validation("cid: multibase CID is not version 1");
  return cid;
}

void Cid::append_bytes(std::string& out) const {
  if (version_ == 0) {
    hash_.append_to(out);
    return;
  }
  put_varint(out, 1);
  put_varint(out, codec_);
  hash_.append_to(out);
}

std::string Cid::bytes() const {
  std::string out;
  out.reserve(8 + hash_.digest().size());
  append_bytes(out);
  return out;
}

std::string Cid::to_string() const {
  if (version_ == 0) return base58btc_encode(bytes());
  return multibase_encode(Multibase::kBase32, bytes());
}

Result<std::string> Cid::to_string(Multibase base) const {
  if (version_ == 0) {
    if (base != Multibase::kBase58Btc) {
      return Status::validation("cid: a CIDv0 has only a base58btc form; convert it to v1 first");
    }
    return to_string();
  }
  return multibase_encode(base, bytes());
}

Result<Cid> Cid::to_v0() const {
  if (version_ == 0) return *this;
  if (codec_ != kCodecDagPb) return Status::validation("cid: only dag-pb CIDs have a v0 form");
  if (!is_v0_hash(hash_)) return Status::validation("cid: only sha2-256 CIDs have a v0 form");
  return Cid(0, codec_, hash_);
}

Cid Cid::to_v1() const { return Cid(1, codec_, hash_); }

std::ostream& operator<<(std::ostream& os, const Cid& cid) { return os << cid.to_string(); }

}  // namespace anarq::ipld
