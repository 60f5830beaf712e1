#include "crypto/xmss.h"

#include <botan/auto_rng.h>
#include <botan/pubkey.h>
#include <botan/xmss.h>

#include <cstring>

namespace anarq::crypto {
namespace {

constexpr size_t kN = 32;
constexpr size_t kPrivateBytes = 4 + 4 * kN + 4;
constexpr size_t kPublicBytes = 4 + 2 * kN;
constexpr size_t kLeafOffset = 4 + 2 * kN;
constexpr uint8_t kOid[4] = {0, 0, 0, 1};  // XMSS-SHA2_10_256 (RFC 8391 table 8)

Status check_private(std::string_view k) {
  if (k.size() != kPrivateBytes || std::memcmp(k.data(), kOid, 4) != 0)
    return Status::validation("not an XMSS-SHA2_10_256 private key");
  return {};
}

Botan::secure_vector<uint8_t> secure(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace

XmssKey xmss_generate() {
  Botan::AutoSeeded_RNG rng;
  Botan::XMSS_PrivateKey key(Botan::XMSS_Parameters::XMSS_SHA2_10_256, rng);
  auto raw = key.raw_private_key();
  auto pub = key.raw_public_key();
  return {std::string(raw.begin(), raw.end()), std::string(pub.begin(), pub.end())};
}

Result<uint64_t> xmss_next_leaf(std::string_view k) {
  ANARQ_RETURN_IF_ERROR(check_private(k));
  uint64_t leaf = 0;
  for (size_t i = 0; i < 4; ++i) leaf = (leaf << 8) | static_cast<uint8_t>(k[kLeafOffset + i]);
  return leaf;
}

Result<std::string> xmss_with_next_leaf(std::string_view k, uint64_t leaf) {
  ANARQ_RETURN_IF_ERROR(check_private(k));
  if (leaf > kXmssLeaves) return Status::validation("XMSS leaf index out of range");
  std::string out(k);
  for (size_t i = 0; i < 4; ++i) out[kLeafOffset + i] = static_cast<char>((leaf >> (8 * (3 - i))) & 0xff);
  return out;
}

Result<std::string> xmss_public_key(std::string_view k) {
  ANARQ_RETURN_IF_ERROR(check_private(k));
  return std::string(k.substr(0, kPublicBytes));
}

Result<std::string> xmss_sign(std::string_view k, std::string_view message) {
  auto leaf = xmss_next_leaf(k);
  if (!leaf.ok()) return leaf.status();
  if (*leaf >= kXmssLeaves) return Status::custom("QLOCK_KEY_EXHAUSTED", 409, false, "every XMSS leaf of this key is spent");
  try {
    Botan::AutoSeeded_RNG rng;
    Botan::XMSS_PrivateKey key(secure(k));
    Botan::PK_Signer signer(key, rng, "");
    auto sig = signer.sign_message(reinterpret_cast<const uint8_t*>(message.data()), message.size(), rng);
    std::string out(sig.begin(), sig.end());
    // Botan keeps a per-process leaf counter of its own; a signature on any
    // leaf but the reserved one would mean two signatures could share a leaf.
    auto used = xmss_signature_leaf(out);
    if (!used.ok() || *used != *leaf) return Status::internal("XMSS signed with an unreserved leaf; signature withheld");
    return out;
  } catch (const std::exception& e) {
    return Status::internal(std::string("XMSS signing failed: ") + e.what());
  }
}

Result<uint64_t> xmss_signature_leaf(std::string_view sig) {
  if (sig.size() < 4) return Status::validation("not an XMSS signature");
  uint64_t leaf = 0;
  for (size_t i = 0; i < 4; ++i) leaf = (leaf << 8) | static_cast<uint8_t>(sig[i]);
  return leaf;
}

bool xmss_verify(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != kPublicBytes || std::memcmp(public_key.data(), kOid, 4) != 0) return false;
  if (signature.size() != 2500) return false;
  try {
    Botan::XMSS_PublicKey pub(std::vector<uint8_t>(public_key.begin(), public_key.end()));
    Botan::PK_Verifier verifier(pub, "");
    return verifier.verify_message(reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                                   reinterpret_cast<const uint8_t*>(signature.data()), signature.size());
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace anarq::crypto
