#include "crypto/box.h"

#include <sodium.h>

#include "ipld/multibase.h"

namespace anarq::crypto {
namespace {

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

Status decryption_failed(std::string why) {
  return Status::custom("QLOCK_DECRYPTION_FAILED", 400, false, std::move(why));
}

void ensure_sodium() {
  static const int ok = sodium_init();
  (void)ok;
}

}  // namespace

std::string random_secret(size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

Result<std::string> aead_seal(std::string_view key, std::string_view nonce, std::string_view plaintext,
                              std::string_view aad) {
  if (key.size() != kAeadKeyBytes || nonce.size() != kAeadNonceBytes)
    return Status::validation("XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce");
  ensure_sodium();
  std::string out(plaintext.size() + kAeadTagBytes, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out), &len, u8(plaintext), plaintext.size(), u8(aad), aad.size(),
                                             nullptr, u8(nonce), u8(key));
  out.resize(len);
  return out;
}

Result<std::string> aead_open(std::string_view key, std::string_view nonce, std::string_view ciphertext,
                              std::string_view aad) {
  if (key.size() != kAeadKeyBytes || nonce.size() != kAeadNonceBytes)
    return Status::validation("XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce");
  if (ciphertext.size() < kAeadTagBytes) return decryption_failed("ciphertext is shorter than its tag");
  ensure_sodium();
  std::string out(ciphertext.size() - kAeadTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(u8(out), &len, nullptr, u8(ciphertext), ciphertext.size(), u8(aad),
                                                 aad.size(), u8(nonce), u8(key)) != 0)
    return decryption_failed("ciphertext failed authentication: it was altered, or belongs to another key or header");
  out.resize(len);
  return out;
}

Result<std::string> x25519_from_ed25519(std::string_view ed) {
  if (ed.size() != crypto_sign_PUBLICKEYBYTES) return Status::validation("an Ed25519 public key is 32 bytes");
  ensure_sodium();
  std::string x(crypto_scalarmult_curve25519_BYTES, '\0');
  if (crypto_sign_ed25519_pk_to_curve25519(u8(x), u8(ed)) != 0)
    return Status::validation("the Ed25519 public key is not a valid curve point");
  return x;
}

std::string did_key_from_x25519(std::string_view x) {
  std::string bytes = "\xec\x01";
  bytes.append(x);
  return "did:key:z" + ipld::base58btc_encode(bytes);
}

Result<std::string> sealed_box_seal(std::string_view ed, std::string_view plaintext) {
  auto x = x25519_from_ed25519(ed);
  if (!x.ok()) return x.status();
  std::string out(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(u8(out), u8(plaintext), plaintext.size(), u8(*x));
  return out;
}

Result<std::string> sealed_box_open(const Ed25519KeyPair& recipient, std::string_view ct) {
  if (ct.size() < crypto_box_SEALBYTES) return decryption_failed("sealed box is shorter than its overhead");
  auto xpk = x25519_from_ed25519(recipient.public_key());
  if (!xpk.ok()) return xpk.status();
  std::string xsk(crypto_scalarmult_curve25519_BYTES, '\0');
  crypto_sign_ed25519_sk_to_curve25519(u8(xsk), recipient.secret_key().data());
  std::string out(ct.size() - crypto_box_SEALBYTES, '\0');
  int rc = crypto_box_seal_open(u8(out), u8(ct), ct.size(), u8(*xpk), u8(xsk));
  sodium_memzero(xsk.data(), xsk.size());
  if (rc != 0) return decryption_failed("sealed box failed authentication: altered, or sealed to another identity");
  return out;
}

}  // namespace anarq::crypto
