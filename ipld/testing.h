#pragma once
// Test-only helpers for ipld/*_test.cc: hex, and the golden vectors in
// ipld/testdata/ (found beside this file unless ANARQ_IPLD_TESTDATA_DIR says
// otherwise). Not part of the library.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace anarq::ipld::testing {

inline std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

inline std::string unhex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex");
  };
  if (text.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(text[i]) * 16 + nibble(text[i + 1])));
  }
  return out;
}

inline std::filesystem::path testdata_dir() {
#ifdef ANARQ_IPLD_TESTDATA_DIR
  return ANARQ_IPLD_TESTDATA_DIR;
#else
  return std::filesystem::path(__FILE__).parent_path() / "testdata";
#endif
}

inline nlohmann::json load_testdata(const std::string& name) {
  std::ifstream in(testdata_dir() / name);
  if (!in) throw std::runtime_error("cannot open testdata " + (testdata_dir() / name).string());
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

}  // namespace anarq::ipld::testing
