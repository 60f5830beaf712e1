#include "crypto/node_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ipld/multibase.h"

namespace anarq::crypto {

Result<Ed25519KeyPair> load_key_file(const std::string& path) {
  auto seed = load_secret_file(path);
  if (!seed.ok()) return seed.status();
  return ed25519_from_seed(*seed);
}

Result<std::string> load_secret_file(const std::string& path) {
  // The format is one short line: anything larger or not a regular file is
  // not a key file, and is never read whole.
  constexpr off_t kMaxKeyFileBytes = 256;
  const std::string not_a_key = path + " is not a key file (one line of base64url holding a 32-byte secret, as "
                                       "`anarq id new` writes)";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::not_found("no key file " + path);
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxKeyFileBytes) return Status::unavailable(not_a_key);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::unavailable(path + " has mode " + mode + ": a key file must be 0600, its owner's only (chmod 600 " +
                               path + ")");
  }
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto seed = ipld::base64_decode(text, /*url=*/true);
  if (!seed.ok() || seed->size() != kEd25519SeedBytes) return Status::unavailable(not_a_key);
  return std::move(*seed);
}

Status write_new_key_file(const std::string& path, const Ed25519KeyPair& key) {
  return write_new_secret_file(path, key.seed());
}

Status write_new_secret_file(const std::string& path, std::string_view secret) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return Status(ErrorCode::kVersionConflict, path + " exists; refusing to replace a key");
  // Write to a temp file created 0600, fsync, then rename: never a half key.
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::unavailable("cannot create " + tmp);
  std::string line = ipld::base64_encode(secret, /*url=*/true) + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::unavailable("cannot write " + path);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace anarq::crypto
