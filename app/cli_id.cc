// Identity key files from the command line: show, sign (LockSigs for the
// sQuid BYOK flows) and open sealed boxes. The key never leaves this process:
// nothing here needs a node or a data dir.
#include <fstream>
#include <iostream>
#include <iterator>
#include <filesystem>

#include "app/cli.h"
#include "core/clock.h"
#include "core/json.h"
#include "crypto/box.h"
#include "crypto/locksig.h"
#include "crypto/node_key.h"
#include "ipld/multibase.h"

namespace anarq::cli {
namespace {

constexpr size_t kMaxInputBytes = 16 << 20;

// The sQuid wire messages (modules/squid/README.md, "Rules"; the module
// verifies exactly these bytes).
constexpr const char* kCreateProofPrefix = "anarq-squid-create-v1\n";
constexpr const char* kDelegationPrefix = "anarq-squid-delegation-v1\n";
constexpr const char* kSubTypes[] = {"DAO", "ENTERPRISE", "CONSENTIDA", "AID"};

constexpr const char* kSealedAlg = "X25519-XSalsa20-Poly1305-SealedBox";

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// A file's bytes (- = stdin), at most kMaxInputBytes.
Result<std::string> read_all(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Status::not_found("cannot open " + path);
    in = &file;
  }
  std::string out;
  char chunk[65536];
  while (in->read(chunk, sizeof chunk) || in->gcount() > 0) {
    out.append(chunk, static_cast<size_t>(in->gcount()));
    if (out.size() > kMaxInputBytes) return Status(ErrorCode::kPayloadTooLarge, path + " exceeds 16 MiB");
  }
  if (in->bad()) return Status::unavailable("read error on " + path);
  return out;
}

Result<std::string> delegation_message(const std::string& text, const std::string& signer) {
  auto j = parse_json(text);
  if (!j.ok()) return Status::validation("--delegation is not JSON: " + j.status().message());
  auto field = [&](const char* name) -> std::string {
    return j->is_object() && j->contains(name) && (*j)[name].is_string() ? (*j)[name].get<std::string>() : "";
  };
  std::string root = field("parentId"), sub = field("squidId"), type = field("type");
  if (root.empty() || sub.empty() || type.empty())
    return Status::validation(
        "--delegation needs {\"parentId\": <root did:key>, \"squidId\": <subidentity did:key>, \"type\": DAO|ENTERPRISE|"
        "CONSENTIDA|AID} (a squid.sub.create input works as is)");
  for (const std::string& did : {root, sub}) {
    auto pk = crypto::ed25519_from_did_key(did);
    if (!pk.ok()) return Status::validation("--delegation: " + did + " is not an Ed25519 did:key");
  }
  bool known = false;
  for (const char* t : kSubTypes) known |= type == t;
  if (!known) return Status::validation("--delegation: type must be DAO, ENTERPRISE, CONSENTIDA or AID, not " + type);
  if (signer != root && signer != sub)
    return Status::validation("this key is " + signer + ": a delegation is signed by its root (parentId " + root +
                              ") and, as the subProof, by the subidentity (squidId " + sub + ")");
  return kDelegationPrefix + root + "\n" + sub + "\n" + type;
}

// The sealed box inside what the user pasted: the container, or qlock.encrypt's
// data ({"ciphertext": ...}), or the whole envelope ({"data": {"ciphertext": ...}}).
const Json* find_box(const Json& j) {
  if (!j.is_object()) return nullptr;
  if (j.contains("alg")) return &j;
  if (j.contains("ciphertext")) return find_box(j["ciphertext"]);
  if (j.contains("data")) return find_box(j["data"]);
  return nullptr;
}

}  // namespace

int id_show(const std::string& file, bool json) {
  auto key = crypto::load_key_file(file);
  if (!key.ok()) return fail(key.status());
  std::string did = crypto::did_key_from_ed25519(key->public_key());
  std::error_code ec;
  std::string path = std::filesystem::absolute(file, ec).lexically_normal().string();
  if (json) {
    std::cout << Json{{"did", did}, {"algorithm", "Ed25519"}, {"publicKey", hex(key->public_key())}, {"file", path}}.dump(2)
              << "\n";
    return 0;
  }
  std::cout << "did        " << did << "\n"
            << "publicKey  " << hex(key->public_key()) << " (Ed25519, hex)\n"
            << "file       " << path << "\n";
  return 0;
}

int id_sign(const SignArgs& a) {
  int modes = int{a.has_message} + int{!a.message_file.empty()} + int{!a.delegation.empty()} + int{a.squid_create};
  if (modes != 1)
    return fail(Status::validation("id sign needs exactly one of --message TEXT, --message-file F, --delegation JSON, "
                                   "--squid-create"));
  auto key = crypto::load_key_file(a.file);
  if (!key.ok()) return fail(key.status());
  std::string did = crypto::did_key_from_ed25519(key->public_key());
  std::string m;
  if (a.has_message) {
    m = a.message;
  } else if (!a.message_file.empty()) {
    auto bytes = read_all(a.message_file);
    if (!bytes.ok()) return fail(bytes.status());
    m = std::move(*bytes);
  } else if (!a.delegation.empty()) {
    auto text = a.delegation == "-" ? read_all("-") : Result<std::string>(a.delegation);
    if (!text.ok()) return fail(text.status());
    auto dm = delegation_message(*text, did);
    if (!dm.ok()) return fail(dm.status());
    m = std::move(*dm);
  } else {
    m = kCreateProofPrefix + did;
  }
  auto sig = crypto::locksig_sign(*key, m, SystemClock::instance().now_ms(), crypto::new_locksig_nonce());
  if (!sig.ok()) return fail(sig.status());
  // One line: it goes into a JSON input as is ('{"proof":'"$(anarq id sign ...)"'}').
  std::cout << dump_compact(*sig) << "\n";
  return 0;
}

int id_open(const std::string& file, const std::string& box_arg) {
  auto key = crypto::load_key_file(file);
  if (!key.ok()) return fail(key.status());
  std::string did = crypto::did_key_from_ed25519(key->public_key());
  auto text = box_arg.empty() || box_arg == "-" ? read_all("-") : Result<std::string>(box_arg);
  if (!text.ok()) return fail(text.status());
  auto j = parse_json(*text);
  if (!j.ok()) return fail(Status::validation("the sealed box is not JSON: " + j.status().message()));
  const Json* box = find_box(*j);
  if (!box) return fail(Status::validation("no qlock ciphertext here: expected {\"v\":1,\"alg\":...,\"to\":...,\"ct\":...}"));
  const std::string alg = (*box)["alg"].is_string() ? (*box)["alg"].get<std::string>() : "";
  if (alg != kSealedAlg)
    return fail(Status::validation("this ciphertext (" + alg + ") is under a key held by a node, not a sealed box: "
                                   "qlock.decrypt opens it there"));
  const std::string to = box->contains("to") && (*box)["to"].is_string() ? (*box)["to"].get<std::string>() : "";
  if (to != did)
    return fail(Status(ErrorCode::kQonsentDenied, "this sealed box is addressed to " + (to.empty() ? "nobody" : to) +
                                                      ", not to " + file + " (" + did + ")"));
  auto ct = box->contains("ct") && (*box)["ct"].is_string()
                ? ipld::base64_decode((*box)["ct"].get<std::string>(), /*url=*/true)
                : Result<std::string>(Status::validation("ct must be a base64url string"));
  if (!ct.ok()) return fail(Status::validation("ct is not base64url"));
  auto plain = crypto::sealed_box_open(*key, *ct);
  if (!plain.ok()) return fail(plain.status());
  // The plaintext's bytes as sealed (enc only said how qlock.encrypt received them).
  std::cout.write(plain->data(), static_cast<std::streamsize>(plain->size()));
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace anarq::cli
