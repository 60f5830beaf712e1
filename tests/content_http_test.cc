// The content surfaces through real sockets: Kubo RPC subset and the trustless
// gateway, including every kind of bad input the issue names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/json.h"
#include "ipld/car.h"
#include "ipld/cid.h"
#include "tests/http_client.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kHelloV0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";
constexpr const char* kHelloV1 = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

std::string multipart(const std::vector<std::pair<std::string, std::string>>& files, const std::string& boundary = "B0uNd") {
  std::string body;
  for (const auto& [name, data] : files)
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

RawResponse rpc(uint16_t port, const std::string& target, const std::string& body = "") {
  std::map<std::string, std::string> h;
  if (!body.empty()) h["Content-Type"] = "multipart/form-data; boundary=B0uNd";
  return request(port, "POST", "/api/v0/" + target, h, body);
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string add(uint16_t port, const std::string& data, const std::string& args = "") {
  auto r = rpc(port, "add" + args, multipart({{"f.bin", data}}));
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = parse_json(r.body.substr(0, r.body.find('\n')));
  return j.ok() ? j->value("Hash", "") : "";
}

class ContentHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { node_ = new ServedNode(); }
  static void TearDownTestSuite() {
    delete node_;
    node_ = nullptr;
  }
  uint16_t port() { return node_->port(); }
  static ServedNode* node_;
};
ServedNode* ContentHttpTest::node_ = nullptr;

TEST_F(ContentHttpTest, AddMatchesKuboAndCatReturnsTheBytes) {
  EXPECT_EQ(add(port(), "hello world\n"), kHelloV0);
  EXPECT_EQ(add(port(), "hello world\n", "?cid-version=1"), kHelloV1);
  auto r = rpc(port(), "add", multipart({{"a", "hello world\n"}, {"b", ""}}));
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("{\"Hash\":\"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\",\"Name\":\"a\",\"Size\":\"20\"}\n"));
  EXPECT_THAT(r.body, HasSubstr("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"));  // the empty file
  EXPECT_EQ(rpc(port(), std::string("cat?arg=") + kHelloV0).body, "hello world\n");
  EXPECT_EQ(rpc(port(), std::string("cat?arg=/ipfs/") + kHelloV1 + "&offset=6&length=5").body, "world");
}

TEST_F(ContentHttpTest, LargeFilesRoundTripThroughCatAndTheGateway) {
  for (size_t size : {size_t{262145}, size_t{1 << 20}, size_t{3 * 262144 + 11}}) {
    std::string data = random_bytes(size, static_cast<uint32_t>(size));
    for (const char* args : {"", "?cid-version=1", "?chunker=size-1000"}) {
      std::string cid = add(port(), data, args);
      ASSERT_FALSE(cid.empty());
      EXPECT_EQ(rpc(port(), "cat?arg=" + cid).body, data) << size << args;
      auto ranged = request(port(), "GET", "/ipfs/" + cid, {{"Range", "bytes=1000-262200"}});
      size_t last = std::min<size_t>(262200, size - 1);
      EXPECT_EQ(ranged.status, 206);
      EXPECT_EQ(ranged.body, data.substr(1000, last - 999));
      EXPECT_EQ(ranged.headers["content-range"], "bytes 1000-" + std::to_string(last) + "/" + std::to_string(size));
    }
  }
}

TEST_F(ContentHttpTest, BlocksAndPins) {
  add(port(), "hello world\n");
  add(port(), "hello world\n", "?cid-version=1");
  auto stat = parse_json(rpc(port(), std::string("block/stat?arg=") + kHelloV0).body);
  EXPECT_EQ((*stat)["Size"], 20);
  EXPECT_EQ(rpc(port(), std::string("block/get?arg=") + kHelloV1).body, "hello world\n");
  auto put = parse_json(rpc(port(), "block/put?cid-codec=raw", multipart({{"b", "raw block"}})).body);
  ASSERT_TRUE(put.ok());
  std::string key = (*put)["Key"];
  EXPECT_EQ(key, ipld::Cid::v1_sha256(0x55, "raw block").to_string());
  EXPECT_EQ(rpc(port(), "pin/add?arg=" + key + "&recursive=false").status, 200);
  auto ls = rpc(port(), "pin/ls?stream=true");
  EXPECT_THAT(ls.body, HasSubstr("{\"Cid\":\"" + key + "\",\"Type\":\"direct\"}"));
  auto keys = parse_json(rpc(port(), "pin/ls").body);
  EXPECT_EQ((*keys)["Keys"][key]["Type"], "direct");
  EXPECT_EQ(rpc(port(), "pin/rm?arg=" + key).status, 200);
  EXPECT_EQ(rpc(port(), "pin/ls?arg=" + key).status, 404);
  auto gc = rpc(port(), "repo/gc");
  EXPECT_EQ(gc.status, 200);
  EXPECT_THAT(gc.body, HasSubstr("{\"Key\":{\"/\":\"" + key + "\"}}\n"));  // Kubo's per-key lines
  EXPECT_EQ(rpc(port(), "block/stat?arg=" + key).status, 404);  // unpinned: collected
  EXPECT_EQ(rpc(port(), std::string("block/stat?arg=") + kHelloV0).status, 200);  // pinned by add: kept
}

TEST_F(ContentHttpTest, IdAndVersion) {
  auto id = parse_json(rpc(port(), "id").body);
  EXPECT_THAT((*id)["ID"].get<std::string>(), StartsWith("12D3KooW"));
  auto v = parse_json(rpc(port(), "version").body);
  EXPECT_TRUE((*v)["Version"].is_string());
  EXPECT_EQ(request(port(), "GET", "/api/v0/version").status, 405);
  EXPECT_EQ(rpc(port(), "no/such").status, 404);
}

TEST_F(ContentHttpTest, DagExportImportsIntoAnotherNode) {
  std::string data = random_bytes(600000, 3);
  std::string cid = add(port(), data);
  auto car = rpc(port(), "dag/export?arg=" + cid);
  ASSERT_EQ(car.status, 200);
  EXPECT_EQ(car.headers["content-type"], "application/vnd.ipld.car");
  ServedNode other;
  auto imported = request(other.port(), "POST", "/api/v0/dag/import",
                          {{"Content-Type", "multipart/form-data; boundary=B0uNd"}}, multipart({{"x.car", car.body}}));
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_THAT(imported.body, HasSubstr("\"Cid\":{\"/\":\"" + cid + "\"}"));
  EXPECT_EQ(request(other.port(), "POST", "/api/v0/cat?arg=" + cid).body, data);
  // The gateway's CAR is the same bytes as dag/export.
  EXPECT_EQ(request(port(), "GET", "/ipfs/" + cid + "?format=car").body, car.body);
}

TEST_F(ContentHttpTest, GatewayFormats) {
  add(port(), "hello world\n");
  add(port(), "hello world\n", "?cid-version=1");
  auto raw = request(port(), "GET", std::string("/ipfs/") + kHelloV0, {{"Accept", "application/vnd.ipld.raw"}});
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.headers["content-type"], "application/vnd.ipld.raw");
  EXPECT_EQ(ipld::Cid::v0_sha256(raw.body).to_string(), kHelloV0);
  auto car = request(port(), "GET", std::string("/ipfs/") + kHelloV1 + "?format=car&dag-scope=block");
  EXPECT_THAT(car.headers["content-type"], StartsWith("application/vnd.ipld.car"));
  auto plain = request(port(), "GET", std::string("/ipfs/") + kHelloV0);
  EXPECT_EQ(plain.body, "hello world\n");
  EXPECT_EQ(plain.headers["etag"], std::string("\"") + kHelloV0 + "\"");
  EXPECT_EQ(request(port(), "GET", std::string("/ipfs/") + kHelloV0, {{"Range", "bytes=50-60"}}).status, 416);
  EXPECT_EQ(request(port(), "POST", std::string("/ipfs/") + kHelloV0).status, 405);
}

TEST_F(ContentHttpTest, BadInputIs400AndMissingContent404) {
  auto missing = request(port(), "GET", "/ipfs/bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(missing.status, 404) << missing.body;
  for (const char* bad : {"/ipfs/notacid", "/ipfs/Qm123", "/ipfs/bafy!!", "/ipfs/"}) {
    auto r = request(port(), "GET", bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(parse_json(r.body)->value("code", ""), "VALIDATION_ERROR");
  }
  EXPECT_EQ(rpc(port(), "cat?arg=zzz").status, 400);
  EXPECT_EQ(rpc(port(), "cat").status, 400);
  // Truncated multipart.
  std::string truncated = multipart({{"f", "data"}});
  truncated.resize(truncated.size() - 12);
  auto t = rpc(port(), "add", truncated);
  EXPECT_EQ(t.status, 400);
  EXPECT_THAT(parse_json(t.body)->value("Message", ""), HasSubstr("truncated"));
  EXPECT_EQ(rpc(port(), "add?chunker=rabin").status, 400);
  EXPECT_EQ(rpc(port(), "add?cid-version=7", multipart({{"f", "x"}})).status, 400);
  // Non-canonical DAG-CBOR: a map with unsorted keys {"b":1,"a":2}.
  std::string unsorted("\xa2\x61\x62\x01\x61\x61\x02", 7);
  EXPECT_EQ(rpc(port(), "block/put?cid-codec=dag-cbor", multipart({{"b", unsorted}})).status, 400);
  std::string canonical("\xa2\x61\x61\x02\x61\x62\x01", 7);
  EXPECT_EQ(rpc(port(), "block/put?cid-codec=dag-cbor", multipart({{"b", canonical}})).status, 200);
  // A CAR whose block does not match its CID.
  std::string data = random_bytes(5000, 9);
  std::string cid = add(port(), data);
  std::string car = rpc(port(), "dag/export?arg=" + cid).body;
  ASSERT_GT(car.size(), 100u);
  car[car.size() - 10] ^= 0x01;
  auto bad_car = rpc(port(), "dag/import", multipart({{"bad.car", car}}));
  EXPECT_EQ(bad_car.status, 400) << bad_car.body;
  auto junk = rpc(port(), "dag/import", multipart({{"junk.car", "definitely not a car"}}));
  EXPECT_EQ(junk.status, 400);
}

TEST_F(ContentHttpTest, CorruptedBlockOnDiskIsAnErrorNeverServed) {
  std::string data = random_bytes(3000, 11);
  std::string cid = add(port(), data, "?cid-version=1");
  // Find the block file and flip a byte in it.
  auto parsed = ipld::Cid::parse(cid);
  bool flipped = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(node_->dir() + "/blocks")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".data") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), {});
    if (bytes != data) continue;
    f.seekp(100);
    f.put(static_cast<char>(bytes[100] ^ 0xff));
    flipped = true;
  }
  ASSERT_TRUE(flipped);
  auto r = rpc(port(), "cat?arg=" + cid);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("corrupted"));
  EXPECT_EQ(request(port(), "GET", "/ipfs/" + cid + "?format=raw").status, 500);
}

}  // namespace
}  // namespace anarq::test
