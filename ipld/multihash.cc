#include "ipld/multihash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "ipld/varint.h"

namespace anarq::ipld {
namespace {

// Fetched once: an explicit fetch skips the per-init provider lookup that
// EVP_sha256() implies under OpenSSL 3.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// OpenSSL failing to set up SHA-256 is an allocation failure or a broken
// install, not bad input: nothing sensible to return.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "anarq ipld: OpenSSL SHA-256 failure: %s\n", what);
  std::abort();
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) die("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx_, sha256_md(), nullptr) != 1) die("EVP_DigestInit_ex");
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::update(std::string_view data) {
  // REQUIRES: not moved-from.
  if (!data.empty() && EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) {
    die("EVP_DigestUpdate");
  }
}

Sha256Digest Sha256::finish() {
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) {
    die("EVP_DigestFinal_ex");
  }
  if (EVP_DigestInit_ex(ctx_, sha256_md(), nullptr) != 1) die("EVP_DigestInit_ex");
  return out;
}

Sha256Digest Sha256::digest(std::string_view data) {
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr) != 1 ||
      len != out.size()) {
    die("EVP_Digest");
  }
  return out;
}

Result<Multihash> Multihash::create(uint64_t code, std::string_view digest) {
  if (code > kMaxVarintValue) return Status::validation("multihash: code does not fit a varint");
  if (digest.size() > kMaxDigestBytes) {
    return Status::validation("multihash: digest of " + std::to_string(digest.size()) +
                              " bytes exceeds " + std::to_string(kMaxDigestBytes));
  }
  if (code == kMultihashSha2_256 && digest.size() != kSha256Bytes) {
    return Status::validation("multihash: sha2-256 digest must be 32 bytes, got " +
                              std::to_string(digest.size()));
  }
  return Multihash(code, std::string(digest));
}

Multihash Multihash::sha256(std::string_view data) {
  const Sha256Digest d = Sha256::digest(data);
  return Multihash(kMultihashSha2_256, std::string(reinterpret_cast<const char*>(d.data()), d.size()));
}

Result<Multihash> Multihash::identity(std::string_view data) {
  return create(kMultihashIdentity, data);
}

Result<Multihash> Multihash::read(std::string_view& in) {
  std::string_view cursor = in;
  Result<uint64_t> code = get_varint(cursor);
  if (!code.ok()) return Status::validation("multihash code: " + code.status().message());
  Result<uint64_t> length = get_varint(cursor);
  if (!length.ok()) return Status::validation("multihash length: " + length.status().message());
  if (*length > kMaxDigestBytes) {
    return Status::validation("multihash: digest length " + std::to_string(*length) + " exceeds " +
                              std::to_string(kMaxDigestBytes));
  }
  if (*length > cursor.size()) {
    return Status::validation("multihash: digest length " + std::to_string(*length) +
                              " exceeds the " + std::to_string(cursor.size()) + " bytes left");
  }
  Result<Multihash> mh = create(*code, cursor.substr(0, *length));
  if (!mh.ok()) return mh;
  cursor.remove_prefix(*length);
  in = cursor;
  return mh;
}

Result<Multihash> Multihash::from_bytes(std::string_view bytes) {
  Result<Multihash> mh = read(bytes);
  if (mh.ok() && !bytes.empty()) {
    return Status::validation("multihash: " + std::to_string(bytes.size()) + " trailing bytes");
  }
  return mh;
}

void Multihash::append_to(std::string& out) const {
  put_varint(out, code_);
  put_varint(out, digest_.size());
  out += digest_;
}

std::string Multihash::bytes() const {
  std::string out;
  out.reserve(4 + digest_.size());
  append_to(out);
  return out;
}

bool Multihash::is_supported() const {
  return code_ == kMultihashIdentity || code_ == kMultihashSha2_256;
}

Status Multihash::verify(std::string_view data) const {
  if (code_ == kMultihashIdentity) {
    if (data != digest_) return Status::validation("multihash: identity digest does not match the data");
    return {};
  }
  if (code_ == kMultihashSha2_256) {
    const Sha256Digest d = Sha256::digest(data);
    if (std::string_view(reinterpret_cast<const char*>(d.data()), d.size()) != digest_) {
      return Status::validation("multihash: sha2-256 digest does not match the data");
    }
    return {};
  }
  char code[24];
  std::snprintf(code, sizeof code, "0x%llx", static_cast<unsigned long long>(code_));
  return Status::validation(std::string("multihash: cannot verify hash function ") + code +
                            " (only identity and sha2-256)");
}

}  // namespace anarq::ipld
