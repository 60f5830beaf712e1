#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstdlib>

#include "ipld/multibase.h"
#include "ipld/multihash.h"

namespace anarq::crypto {
namespace {

void ensure_sodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing here can be safe
    return true;
  }();
  (void)ready;
}

}  // namespace

Ed25519KeyPair::~Ed25519KeyPair() { sodium_memzero(sk_.data(), sk_.size()); }

Ed25519KeyPair ed25519_generate() {
  ensure_sodium();
  Ed25519KeyPair kp;
  crypto_sign_keypair(kp.pk_.data(), kp.sk_.data());
  return kp;
}

Result<Ed25519KeyPair> ed25519_from_seed(std::string_view seed) {
  ensure_sodium();
  if (seed.size() != kEd25519SeedBytes) return Status::validation("an Ed25519 seed is 32 bytes");
  Ed25519KeyPair kp;
  crypto_sign_seed_keypair(kp.pk_.data(), kp.sk_.data(), reinterpret_cast<const unsigned char*>(seed.data()));
  return kp;
}

std::string ed25519_sign(const Ed25519KeyPair& key, std::string_view message) {
  ensure_sodium();
  std::string sig(kEd25519SignatureBytes, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.secret_key().data());
  return sig;
}

bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature) {
  ensure_sodium();
  if (public_key.size() != kEd25519PublicKeyBytes || signature.size() != kEd25519SignatureBytes) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

std::string did_key_from_ed25519(std::string_view public_key) {
  std::string bytes("\xed\x01", 2);
  bytes.append(public_key);
  return "did:key:z" + ipld::base58btc_encode(bytes);
}

Result<std::string> ed25519_from_did_key(std::string_view did) {
  constexpr std::string_view kPrefix = "did:key:z";
  if (did.size() > 128 || did.substr(0, kPrefix.size()) != kPrefix)
    return Status::validation("not a did:key with a base58btc key: '" + std::string(did.substr(0, 64)) + "'");
  auto bytes = ipld::base58btc_decode(did.substr(kPrefix.size()));
  if (!bytes.ok()) return Status::validation("did:key is not valid base58btc");
  if (bytes->size() != 2 + kEd25519PublicKeyBytes || (*bytes)[0] != '\xed' || (*bytes)[1] != '\x01')
    return Status::validation("did:key does not hold an Ed25519 public key (multicodec 0xed)");
  return bytes->substr(2);
}

std::string libp2p_public_key_proto(std::string_view public_key) {
  // message PublicKey { required KeyType Type = 1; required bytes Data = 2; }  KeyType Ed25519 = 1
  std::string pb("\x08\x01\x12", 3);
  pb.push_back(static_cast<char>(public_key.size()));
  pb.append(public_key);
  return pb;
}

std::string libp2p_peer_id(std::string_view public_key) {
  // Keys of at most 42 bytes are inlined with the identity multihash (libp2p peer-ids spec).
  auto mh = ipld::Multihash::identity(libp2p_public_key_proto(public_key));
  return ipld::base58btc_encode(mh->bytes());
}

}  // namespace anarq::crypto
