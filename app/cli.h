#pragma once
// The CLI's commands beyond the wiring in app/main.cc (which parses the
// command line, picks the data dir and builds the Node): identity key files
// (cli_id.cc) and content import and export (cli_content.cc). Each command
// returns the process's exit code and prints its error once, on stderr, as
// "anarq: CODE: message" (fail). Single-threaded: one command per process.
#include <cstdint>
#include <string>

#include "app/node.h"
#include "core/status.h"

namespace anarq::cli {

// Prints "anarq: CODE: message" (and its suggestion) on stderr; exit code 2
// for VALIDATION_ERROR (the command line or input is wrong), else 1.
int fail(const Status& s);

// `anarq id show FILE [--json]`: the did:key, the raw public key and the
// file's absolute path; refuses a file others can read or that holds no key.
int id_show(const std::string& file, bool json);

// `anarq id sign FILE ...`: a LockSig (standards section 10, crypto/locksig.h)
// printed as one line of JSON, exactly what squid.create's `proof`,
// squid.sub.create's `delegation` / `subProof` and qlock.verify's `signature`
// take. One of:
//   message       m = these bytes (UTF-8 as given)
//   message_file  m = the file's bytes (- = stdin)
//   delegation    {"parentId", "squidId", "type"} (a squid.sub.create input
//                 works as is): m = "anarq-squid-delegation-v1\n" + parentId +
//                 "\n" + squidId + "\n" + type; the key must be parentId's
//                 (the delegation) or squidId's (the subProof)
//   squid_create  m = "anarq-squid-create-v1\n" + the key's own did:key (the
//                 BYOK proof of squid.create)
struct SignArgs {
  std::string file, message, message_file, delegation;
  bool has_message = false, squid_create = false;
};
int id_sign(const SignArgs& a);

// `anarq id open FILE [BOX | -]`: opens a qlock sealed box addressed to the
// key in FILE, locally (the key never leaves this process), and writes the
// plaintext to stdout. BOX is the ciphertext JSON, or what `anarq call
// qlock.encrypt` printed (its envelope or data); default: stdin.
int id_open(const std::string& file, const std::string& box);

// Content commands over a started node: add, cat, car export|import, gc.
struct ContentArgs {
  std::string command;  // add | cat | car | gc
  std::string add_path, cat_cid, chunker;
  int cid_version = 0;
  bool no_pin = false, only_hash = false, quiet = false;
  uint64_t cat_offset = 0, cat_length = UINT64_MAX;
  std::string car_action, car_arg;
};
int content_command(Node& node, const ContentArgs& a);
// `anarq add --only-hash`: the CID computed without a node or a data dir.
int add_only_hash(const ContentArgs& a);

}  // namespace anarq::cli
