#pragma once
// Key files: one line, base64url (no padding) of a 32-byte secret, mode 0600.
// Identity keys (`anarq id new`, `anarq --as FILE`), the keystore's master key
// (DATA_DIR/master.key) and, before the keystore, the node key
// (DATA_DIR/node.key, imported into the keystore and removed on first start).
// A key file readable by group or others is refused.
#include <string>

#include "crypto/ed25519.h"

namespace anarq::crypto {


// The same format for any identity key (`anarq id new`, `anarq --as FILE`):
// refused when group or others can read it.
Result<Ed25519KeyPair> load_key_file(const std::string& path);
// Writes a new key file 0600 through a temp file, fsync and rename; refuses
// to replace an existing file.
Status write_new_key_file(const std::string& path, const Ed25519KeyPair& key);
// The same file format for any 32-byte secret (the keystore's master.key).
Result<std::string> load_secret_file(const std::string& path);
Status write_new_secret_file(const std::string& path, std::string_view secret);

}  // namespace anarq::crypto
