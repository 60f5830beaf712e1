// The edges an operator, a browser and an attacker reach first (issue 10):
// one process per port, absolute-form targets, HEAD, browser Origin/Host
// rules and CORS, per-address event streams, all-or-nothing CAR imports,
// per-identity quotas on durable state, replay marks for throwaway
// identities, node.info's identity, /metrics and private lease metadata.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/json.h"
#include "crypto/ed25519.h"
#include "ipld/car.h"
#include "ipld/cid.h"
#include "ipld/multicodec.h"
#include "ipld/multihash.h"
#include "ipld/varint.h"
#include "tests/http_client.h"
#include "tests/signing.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

Json body_of(const RawResponse& r) {
  auto j = parse_json(r.body);
  return j.ok() ? *j : Json();
}


class EdgesHttpTest : public ::testing::Test {
 protected:
  RawResponse send(const crypto::Ed25519KeyPair* key, const std::string& method, const std::string& target,
                   const std::string& body = "", int64_t ts = SystemClock::instance().now_ms()) {
    std::map<std::string, std::string> h = {{"content-type", "application/json"}};
    if (key) h = sign_request(*key, method, target, body, ts);
    return request(node_.port(), method, target, h, body);
  }
  RawResponse send(const crypto::Ed25519KeyPair* key, const std::string& method, const std::string& target,
                   const Json& body) {
    return send(key, method, target, dump_compact(body));
  }
  // A BYOK identity registered by its own signed request.
  void register_identity(const crypto::Ed25519KeyPair& key, const std::string& name) {
    auto r = send(&key, "POST", "/squid/v1/identities", Json{{"name", name}});
    ASSERT_LT(r.status, 300) << r.body;
  }
  static Json topic_schema() { return {{"type", "object"}}; }

  ServedNode node_;
};

TEST_F(EdgesHttpTest, ASecondServerOnTheSamePortIsRefused) {
  Config c;
  c.data_dir = temp_dir("anarq-second");
  c.listen = "127.0.0.1:" + std::to_string(node_.port());
  c.log_level = "off";
  Node second(c);
  ASSERT_TRUE(second.start().ok());
  Status s = second.serve([](const std::string&) { ADD_FAILURE() << "the second server must not listen"; });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("address in use"), std::string::npos) << s.message();
  EXPECT_EQ(request(node_.port(), "GET", "/health").status, 200);
  std::filesystem::remove_all(c.data_dir);
}

TEST_F(EdgesHttpTest, AbsoluteFormTargetsAreRouted) {
  Connection c(node_.port());
  ASSERT_TRUE(c.send("GET http://127.0.0.1:" + std::to_string(node_.port()) + "/node/v1/info HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["code"], "NODE_INFO");
}

TEST_F(EdgesHttpTest, HeadCarriesTheHeadersOfTheGet) {
  auto get = request(node_.port(), "GET", "/openapi.json");
  auto head = request(node_.port(), "HEAD", "/openapi.json");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], std::to_string(get.body.size()));
  EXPECT_EQ(head.headers["content-type"], "application/json");
  EXPECT_TRUE(head.body.empty());
  // A streamed file from the gateway: the length the GET sends.
  std::string file(300 * 1024, 'x');
  auto cs = node_.node().content()->add_bytes(file, {});
  ASSERT_TRUE(cs.ok());
  auto h2 = request(node_.port(), "HEAD", "/ipfs/" + cs->cid.to_string());
  EXPECT_EQ(h2.status, 200);
  EXPECT_EQ(h2.headers["content-length"], std::to_string(file.size()));
  EXPECT_FALSE(h2.headers["content-type"].empty());
  EXPECT_EQ(h2.headers["access-control-allow-origin"], "*") << "the trustless gateway is public";
  EXPECT_EQ(h2.headers["content-security-policy"], "sandbox") << "and what it serves runs in an opaque origin";
}

TEST_F(EdgesHttpTest, ForeignPagesCannotDriveTheAdminSurfaces) {
  const std::string port = std::to_string(node_.port());
  // A web page the operator visits.
  auto gc = request(node_.port(), "POST", "/api/v0/repo/gc", {{"origin", "https://evil.example"}});
  EXPECT_EQ(gc.status, 403) << gc.body;
  // DNS rebinding: a foreign name resolving to 127.0.0.1, never a prefix match.
  for (const char* host : {"127.evil.example", "127.0.0.1.nip.io", "evil.example"}) {
    auto r = request(node_.port(), "POST", "/api/v0/version", {{"host", std::string(host) + ":" + port}});
    EXPECT_EQ(r.status, 403) << host << " " << r.body;
    auto m = request(node_.port(), "POST", "/mcp",
                     {{"host", std::string(host) + ":" + port}, {"content-type", "application/json"}},
                     R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
    EXPECT_EQ(m.status, 403) << host;
  }
  // Pages this node serves from its gateway are sandboxed: their origin is
  // opaque ("null"), which is refused; a same-origin loopback page passes.
  auto sandboxed = request(node_.port(), "POST", "/api/v0/version", {{"host", "127.0.0.1:" + port}, {"origin", "null"}});
  EXPECT_EQ(sandboxed.status, 403);
  auto same = request(node_.port(), "POST", "/api/v0/version",
                      {{"host", "127.0.0.1:" + port}, {"origin", "http://127.0.0.1:" + port}});
  EXPECT_EQ(same.status, 200);
  // Loopback names pass; a local tool on another port may call.
  EXPECT_EQ(request(node_.port(), "POST", "/api/v0/version", {{"host", "localhost:" + port}}).status, 200);
  EXPECT_EQ(request(node_.port(), "POST", "/api/v0/version", {{"host", "127.0.0.1:" + port}, {"origin", "http://localhost:6274"}}).status, 200);
  // CORS is off by default: a preflight from a foreign origin is refused.
  auto pre = request(node_.port(), "OPTIONS", "/node/v1/info",
                     {{"origin", "https://app.example"}, {"access-control-request-method", "GET"}});
  EXPECT_EQ(pre.status, 403);
  EXPECT_EQ(pre.headers.count("access-control-allow-origin"), 0u);
  auto plain = request(node_.port(), "OPTIONS", "/node/v1/info");
  EXPECT_EQ(plain.status, 204) << "an OPTIONS without Origin is no preflight";
  EXPECT_NE(plain.headers["allow"].find("POST"), std::string::npos);
  auto gw = request(node_.port(), "OPTIONS", "/ipfs/bafkqaaa", {{"origin", "https://app.example"}});
  EXPECT_EQ(gw.status, 204);
  EXPECT_EQ(gw.headers["access-control-allow-origin"], "*");
}

TEST(EdgesHttpCors, AnAllowedOriginGetsPreflightsAndHeaders) {
  Config c;
  c.allowed_origins = {"https://app.example"};
  ServedNode node(c);
  auto pre = request(node.port(), "OPTIONS", "/node/v1/info",
                     {{"origin", "https://app.example"}, {"access-control-request-method", "GET"},
                      {"access-control-request-headers", "x-squid-id"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.headers["access-control-allow-origin"], "https://app.example");
  EXPECT_NE(pre.headers["access-control-allow-headers"].find("x-squid-id"), std::string::npos);
  auto get = request(node.port(), "GET", "/node/v1/info", {{"origin", "https://app.example"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.headers["access-control-allow-origin"], "https://app.example");
  EXPECT_EQ(request(node.port(), "GET", "/node/v1/info", {{"origin", "https://other.example"}}).status, 403);
}

TEST_F(EdgesHttpTest, OneAddressCannotHoldEveryEventStream) {
  std::vector<std::unique_ptr<Connection>> held;
  for (size_t i = 0; i < EventStreamHttp::kMaxStreamsPerAddress; ++i) {
    auto c = std::make_unique<Connection>(node_.port());
    ASSERT_TRUE(c->send("GET /events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    held.push_back(std::move(c));
  }
  // Each stream is open once its head arrived; wait until the node counts them all.
  for (int i = 0; i < 200 && node_.node().events_http()->open_streams() < EventStreamHttp::kMaxStreamsPerAddress; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(node_.node().events_http()->open_streams(), EventStreamHttp::kMaxStreamsPerAddress);
  auto r = request(node_.port(), "GET", "/events/stream");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(body_of(r)["code"], "RATE_LIMIT_EXCEEDED");
  held.pop_back();  // one leaves: its place is free again
  for (int i = 0; i < 200 && node_.node().events_http()->open_streams() >= EventStreamHttp::kMaxStreamsPerAddress; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Connection again(node_.port());
  ASSERT_TRUE(again.send("HEAD /events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  auto head = again.read_response();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-type"], "text/event-stream");
  EXPECT_EQ(head.headers.count("content-length"), 0u) << "an event stream has no length";
}

// A CAR v1: the header, then varint-framed (CID bytes + block) sections,
// written by hand so that a section may lie about its hash.
std::string car_of(const std::vector<std::pair<ipld::Cid, std::string>>& blocks) {
  std::string out = *ipld::car_header({blocks.front().first});
  for (const auto& [cid, bytes] : blocks) {
    std::string section = cid.bytes() + bytes;
    ipld::put_varint(out, section.size());
    out += section;
  }
  return out;
}

std::string multipart(const std::string& data) {
  return "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.car\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
         data + "\r\n--b--\r\n";
}

TEST_F(EdgesHttpTest, ARejectedCarStoresNothing) {
  auto raw = [](const std::string& bytes) { return ipld::Cid::v1_sha256(ipld::kCodecRaw, bytes); };
  std::string good = "a block that is fine", bad = "a block whose hash lies";
  std::string car = car_of({{raw(good), good}, {raw("something else"), bad}});
  auto r = request(node_.port(), "POST", "/api/v0/dag/import", {{"content-type", "multipart/form-data; boundary=b"}},
                   multipart(car));
  EXPECT_GE(r.status, 400) << r.body;
  EXPECT_LT(r.status, 500) << r.body;
  EXPECT_FALSE(*node_.node().content()->blocks().has(raw(good))) << "the valid block before the bad one is not kept";
  // The same CAR without the bad block imports.
  std::string fine = car_of({{raw(good), good}});
  auto ok = request(node_.port(), "POST", "/api/v0/dag/import", {{"content-type", "multipart/form-data; boundary=b"}},
                    multipart(fine));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(*node_.node().content()->blocks().has(raw(good)));
}

// A large CAR is hashed and written off the I/O threads: with one I/O
// thread, /health keeps answering while 20 000 blocks are imported.
TEST(EdgesHttpImport, ALargeCarImportDoesNotStallOtherRequests) {
  Config c;
  c.threads = 1;
  ServedNode node(c);
  std::vector<std::pair<ipld::Cid, std::string>> blocks;
  for (int i = 0; i < 20'000; ++i) {
    std::string b = "tiny block " + std::to_string(i);
    blocks.emplace_back(ipld::Cid::v1_sha256(ipld::kCodecRaw, b), b);
  }
  const std::string body = multipart(car_of(blocks));
  std::atomic<bool> done{false};
  RawResponse imported;
  auto t0 = std::chrono::steady_clock::now();
  std::thread importer([&] {
    Connection c(node.port(), /*timeout_ms=*/120'000);  // the import itself may take a while under ASan
    if (c.send("POST /api/v0/dag/import HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body))
      imported = c.read_response();
    done = true;
  });
  int answered_meanwhile = 0;
  while (!done) {
    auto h = request(node.port(), "GET", "/health");
    if (h.status == 200 && !done) ++answered_meanwhile;
  }
  importer.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(imported.status, 200) << imported.body.substr(0, 300);
  EXPECT_TRUE(*node.node().content()->blocks().has(blocks.back().first));
  // Only meaningful when the import took long enough to overlap a probe.
  if (ms > 500) {
    EXPECT_GE(answered_meanwhile, 1) << "no /health answer during a " << ms << " ms import";
  }
}

TEST_F(EdgesHttpTest, DurableStateNeedsARegisteredIdentityWithinItsShare) {
  auto throwaway = crypto::ed25519_generate();
  auto reg = send(&throwaway, "POST", "/registry/v1/topics/q.throwaway.made.v1/versions", Json{{"schema", topic_schema()}});
  EXPECT_EQ(reg.status, 401) << reg.body;
  EXPECT_NE(body_of(reg)["message"].get<std::string>().find("registered"), std::string::npos) << reg.body;
  auto sub = send(&throwaway, "POST", "/events/v1/subscribe", Json{{"consumer", "c-" + random_hex(4)}});
  EXPECT_EQ(sub.status, 401) << sub.body;

  auto alice = crypto::ed25519_generate();
  register_identity(alice, "alice");
  for (int64_t i = 0; i < bus::kMaxTopicsPerOwner; ++i) {
    auto r = send(&alice, "POST", "/registry/v1/topics/q.alice" + std::to_string(i) + ".made.v1/versions",
                  Json{{"schema", topic_schema()}});
    ASSERT_EQ(r.status, 200) << i << " " << r.body;
  }
  auto over = send(&alice, "POST", "/registry/v1/topics/q.aliceover.made.v1/versions", Json{{"schema", topic_schema()}});
  EXPECT_EQ(over.status, 422) << over.body;
  EXPECT_EQ(body_of(over)["code"], "REGISTRY_TOPIC_LIMIT");
  for (int64_t i = 0; i < bus::kMaxConsumersPerOwner; ++i)
    ASSERT_EQ(send(&alice, "POST", "/events/v1/subscribe", Json{{"consumer", "alice-" + std::to_string(i)}}).status, 200) << i;
  auto extra = send(&alice, "POST", "/events/v1/subscribe", Json{{"consumer", "alice-extra"}});
  EXPECT_EQ(extra.status, 422) << extra.body;
  EXPECT_EQ(body_of(extra)["code"], "EVENTS_CONSUMER_LIMIT");
  // Another identity still has its own share.
  auto bob = crypto::ed25519_generate();
  register_identity(bob, "bob");
  EXPECT_EQ(send(&bob, "POST", "/events/v1/subscribe", Json{{"consumer", "bob-1"}}).status, 200);
}

TEST_F(EdgesHttpTest, ThrowawayIdentitiesWriteNoReplayRows) {
  auto count_rows = [&] {
    auto rows = node_.node().db().query("SELECT COUNT(*) FROM auth_high_water", {});
    return rows.ok() ? rows->rows[0].i64(0) : -1;
  };
  int64_t now = SystemClock::instance().now_ms();
  // Far ahead of the clock: refused for an unregistered identity.
  auto fresh = crypto::ed25519_generate();
  auto ahead = send(&fresh, "POST", "/qlock/v1/keys", Json{{"purpose", "SIGNING"}}.dump(), now + 60'000);
  EXPECT_EQ(ahead.status, 401) << ahead.body;
  EXPECT_EQ(body_of(ahead)["code"], "SIGNATURE_INVALID");
  // Slightly ahead: accepted, and a hundred fresh identities share one row.
  for (int i = 0; i < 100; ++i) {
    auto k = crypto::ed25519_generate();
    auto r = send(&k, "GET", "/node/v1/info", "", SystemClock::instance().now_ms() + 500);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_LE(count_rows(), 1);
  // A registered identity keeps its own mark and its full window.
  auto alice = crypto::ed25519_generate();
  register_identity(alice, "alice");
  auto r = send(&alice, "GET", "/node/v1/info", "", SystemClock::instance().now_ms() + 60'000);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_LE(count_rows(), 2);
  EXPECT_GE(count_rows(), 1);
}

TEST_F(EdgesHttpTest, NodeInfoNamesTheNodesIdentity) {
  auto r = body_of(request(node_.port(), "GET", "/node/v1/info"));
  EXPECT_EQ(r["data"]["did"], node_.node().operator_identity().squid_id);
  EXPECT_EQ(r["data"]["peerId"], node_.node().peer_id());
  EXPECT_EQ(body_of(request(node_.port(), "POST", "/api/v0/id"))["ID"], node_.node().peer_id());
}

TEST_F(EdgesHttpTest, MetricsCoverTheProcessRoutesContentAndEvents) {
  ASSERT_EQ(request(node_.port(), "GET", "/node/v1/info").status, 200);
  ASSERT_TRUE(node_.node().content()->add_bytes("metrics", {}).ok());
  auto text = request(node_.port(), "GET", "/metrics").body;
  for (const char* want :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ", "process_max_fds ",
        "anarq_http_route_requests_total{method=\"GET\",route=\"node.info\",status=\"200\"} 1",
        "anarq_http_route_duration_seconds_bucket{route=\"node.info\"", "anarq_blocks_stored ", "anarq_block_bytes_stored ",
        "anarq_pins ", "anarq_event_log_events ", "anarq_event_log_bytes ", "anarq_sse_clients 0", "anarq_event_consumers "})
    EXPECT_NE(text.find(want), std::string::npos) << want;
}

TEST_F(EdgesHttpTest, LeaseMetadataStaysOutOfPublicHistory) {
  auto alice = crypto::ed25519_generate();
  register_identity(alice, "alice");
  auto lock = send(&alice, "POST", "/qlock/v1/lock",
                   Json{{"action", "acquire"}, {"resource", "job-7"}, {"metadata", {{"secret", "s3cr3t-value"}}}});
  ASSERT_LT(lock.status, 300) << lock.body;
  auto history = request(node_.port(), "GET", "/events/v1/history?subject=q.qlock.lock.%3E");
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_NE(history.body.find("job-7"), std::string::npos) << "the acquisition is in the history";
  EXPECT_EQ(history.body.find("s3cr3t-value"), std::string::npos) << "but not what the caller kept private";
  auto other = crypto::ed25519_generate();
  auto status = send(&other, "POST", "/qlock/v1/lock", Json{{"action", "status"}, {"resource", "job-7"}});
  EXPECT_EQ(status.body.find("s3cr3t-value"), std::string::npos) << status.body;
}

TEST_F(EdgesHttpTest, UnsignedHugeDidsAreRefusedBeforeAnyPattern) {
  std::string huge(40'000, 'z');
  auto r = request(node_.port(), "GET", "/squid/v1/identities/did:key:z" + huge);
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500) << r.body;
  auto signed_huge = request(node_.port(), "GET", "/node/v1/info",
                             {{"x-squid-id", "did:key:z" + std::string(12'000, 'z')}, {"x-ts", "1"}, {"x-nonce", "aaaaaaaaaaaaaaaa"}, {"x-sig", "x"}});
  EXPECT_EQ(signed_huge.status, 401);
  EXPECT_EQ(request(node_.port(), "GET", "/health").status, 200);
}

}  // namespace
}  // namespace anarq::test
