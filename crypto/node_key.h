#pragma once
// The node's own Ed25519 key (peer id, event and checkpoint signatures), kept
// in DATA_DIR/node.key with mode 0600 until the keystore takes it over. Created
// on first start; a key file readable by group or others is refused.
#include <string>

#include "crypto/ed25519.h"

namespace anarq::crypto {

// File format: one line, base64url (no padding) of the 32-byte seed.
Result<Ed25519KeyPair> load_or_create_node_key(const std::string& data_dir);

// The same format for any identity key (`anarq id new`, `anarq --as FILE`):
// refused when group or others can read it.
Result<Ed25519KeyPair> load_key_file(const std::string& path);
// Writes a new key file 0600 through a temp file, fsync and rename; refuses
// to replace an existing file.
Status write_new_key_file(const std::string& path, const Ed25519KeyPair& key);

}  // namespace anarq::crypto
