#include "ipld/car.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>

#include "ipld/dag_cbor.h"
#include "ipld/multicodec.h"
#include "ipld/testing.h"
#include "ipld/varint.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

// go-car's TestEOFHandling fixture: one dag-cbor block {"dodgy": true}, its own root.
const std::string kGoCarSingle =
    "3aa265726f6f747381d82a58250001711220151fe9e73c6267a7060c6f6c4cca943c236f4b196723489608edb42a8b8fa80b6776657273"
    "696f6e012c01711220151fe9e73c6267a7060c6f6c4cca943c236f4b196723489608edb42a8b8fa80ba165646f646779f5";

// The CARv1 spec's carv1-basic fixture (as js-car and go-car test with it):
// two dag-cbor roots, three dag-pb CIDv0 nodes, three raw leaves.
const std::string kCarv1Basic =
    "63a265726f6f747382d82a58250001711220f88bc853804cf294fe417e4fa83028689fcdb1b1592c5102e1474dbc200fab8bd82a58250001"
    "71122069ea0740f9807a28f4d932c62e7c1c83be055e55072c90266ab3e79df63a365b6776657273696f6e01280155122061be55a8e2f6b4"
    "e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b461616161280155122081cc5b17018674b401b42f35ba07bb79e211239c23bf"
    "fe658da1577e3e646877626262622801551220b6fbd675f98e2abd22d4ed29fdc83150fedc48597e92dd1a7a24381d44a274516363636351"
    "1220e7dc486e97e6ebe5cdabab3e392bdad128b6e09acc94bb4e2aa2af7b986d24d0122d0a240155122061be55a8e2f6b4e172338bddf184"
    "d6dbee29c98853e0a0485ecee7f27b9af0b4120363617418048001122079a982de3c9907953d4d323cee1d0fb1ed8f45f8ef02870c0cb9e0"
    "9246bd530a122d0a240155122081cc5b17018674b401b42f35ba07bb79e211239c23bffe658da1577e3e6468771203646f671804122d0a22"
    "1220e7dc486e97e6ebe5cdabab3e392bdad128b6e09acc94bb4e2aa2af7b986d24d01205666972737418338301122002acecc5de2438ea41"
    "26a3010ecb1f8a599c8eff22fff1a1dcffe999b27fd3de122e0a2401551220b6fbd675f98e2abd22d4ed29fdc83150fedc48597e92dd1a7a"
    "24381d44a274511204626561721804122f0a22122079a982de3c9907953d4d323cee1d0fb1ed8f45f8ef02870c0cb9e09246bd530a1206"
    "7365636f6e641895015b01711220f88bc853804cf294fe417e4fa83028689fcdb1b1592c5102e1474dbc200fab8ba2646c696e6bd82a5823"
    "00122002acecc5de2438ea4126a3010ecb1f8a599c8eff22fff1a1dcffe999b27fd3de646e616d6564626c6970360171122069ea0740f980"
    "7a28f4d932c62e7c1c83be055e55072c90266ab3e79df63a365ba2646c696e6bf6646e616d65656c696d626f";

ByteSource string_source(std::string bytes, size_t step = SIZE_MAX) {
  auto data = std::make_shared<std::string>(std::move(bytes));
  auto pos = std::make_shared<size_t>(0);
  return [data, pos, step](char* buf, size_t capacity) -> Result<size_t> {
    const size_t n = std::min({capacity, step, data->size() - *pos});
    std::memcpy(buf, data->data() + *pos, n);
    *pos += n;
    return n;
  };
}

struct MemStore {
  std::map<Cid, std::string> blocks;
  std::vector<Cid> order;
  BlockSink sink() {
    return [this](const Cid& cid, std::string_view bytes) {
      blocks.emplace(cid, std::string(bytes));
      order.push_back(cid);
      return Status();
    };
  }
  BlockGetter getter() {
    return [this](const Cid& cid) -> Result<std::string> {
      auto it = blocks.find(cid);
      if (it == blocks.end()) return Status::not_found("block " + cid.to_string() + " not found");
      return it->second;
    };
  }
};

std::string export_to_string(const std::vector<Cid>& roots, const BlockGetter& get, Status* status = nullptr) {
  std::string out;
  Status s = export_car(roots, get, [&](std::string_view bytes) {
    out.append(bytes);
    return Status();
  });
  if (status) *status = s;
  else EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

Status import_error(const std::string& car) {
  MemStore store;
  Result<CarImport> r = import_car(string_source(car), store.sink());
  return r.ok() ? Status() : r.status();
}

TEST(Car, GoCarSingleBlockFixtureRoundTripsByteForByte) {
  MemStore store;
  Result<CarImport> r = import_car(string_source(unhex(kGoCarSingle)), store.sink());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->roots.size(), 1u);
  EXPECT_EQ(r->roots[0].to_string(), "bafyreiavd7u6opdcm6tqmddpnrgmvfb4enxuwglhenejmchnwqvixd5ibm");
  EXPECT_EQ(r->blocks, 1u);
  EXPECT_EQ(dag_cbor_decode(store.blocks.at(r->roots[0])).value(), (Json{{"dodgy", true}}));
  EXPECT_EQ(hex(export_to_string(r->roots, store.getter())), kGoCarSingle);
}

TEST(Car, Carv1BasicFixture) {
  MemStore store;
  // One byte at a time: the reader must not depend on how the source chunks.
  Result<CarImport> r = import_car(string_source(unhex(kCarv1Basic), 1), store.sink());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->roots.size(), 2u);
  EXPECT_EQ(r->roots[0].to_string(), "bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm");
  EXPECT_EQ(r->blocks, 8u);
  // Our header for the same roots is the fixture's header, byte for byte.
  const std::string header = car_header(r->roots).value();
  EXPECT_EQ(hex(header), kCarv1Basic.substr(0, header.size() * 2));

  // The dag-cbor root links a dag-pb CIDv0, which links raw leaves and dag-pb nodes.
  auto links = block_links(r->roots[0], store.blocks.at(r->roots[0])).value();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].version(), 0u);
  EXPECT_EQ(block_links(links[0], store.blocks.at(links[0]))->size(), 2u);

  // Export: depth-first preorder from the first root, then what the second adds.
  const std::string car = export_to_string(r->roots, store.getter());
  MemStore again;
  Result<CarImport> back = import_car(string_source(car), again.sink());
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->roots, r->roots);
  EXPECT_EQ(again.blocks, store.blocks);
  ASSERT_EQ(again.order.size(), 8u);
  EXPECT_EQ(again.order[0], r->roots[0]);
  EXPECT_EQ(again.order[1], links[0]);
  EXPECT_EQ(again.order[2], block_links(links[0], store.blocks.at(links[0]))->at(0));
  EXPECT_EQ(again.order[7], r->roots[1]);  // {"link": null, "name": "limbo"}
}

TEST(Car, WrongBlockIsRefusedNamingTheOffset) {
  std::string car = unhex(kGoCarSingle);
  car.back() = static_cast<char>(0xf4);  // {"dodgy": false}
  Status s = import_error(car);
  EXPECT_EQ(s.code(), "VALIDATION_ERROR");
  EXPECT_NE(s.message().find("section at byte offset 59"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("do not hash to bafyreiavd7u6"), std::string::npos) << s.message();
}

TEST(Car, TruncatedInputIsRefused) {
  const std::string car = unhex(kGoCarSingle);
  // Cut inside the block section.
  Status s = import_error(car.substr(0, car.size() - 3));
  EXPECT_NE(s.message().find("section at byte offset 59: truncated"), std::string::npos) << s.message();
  // go-car's cases: a dangling varint byte, a section announcing 100 bytes and giving 2.
  s = import_error(car + unhex("a0"));
  EXPECT_NE(s.message().find("ends inside the length varint"), std::string::npos) << s.message();
  s = import_error(car + unhex("640000"));
  EXPECT_NE(s.message().find("truncated: the stream ends after 2 of its 100 bytes"), std::string::npos)
      << s.message();
  // Inside the header.
  s = import_error(car.substr(0, 20));
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
}

TEST(Car, BadHeadersAreRefused) {
  // go-car's TestBadHeaders, plus our own bounds.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0aa16776657273696f6e02", "unsupported version 2"},                                  // CARv2 pragma
      {"13a165726f6f747381d82a480001000003616263", "no integer version"},                   // no version
      {"1da265726f6f747381d82a4800010000036162636776657273696f6e6131", "no integer version"},  // "1"
      {"0aa16776657273696f6e01", "roots is not an array"},                                  // no roots
      {"20a265726f6f7473a163636964d82a4800010000036162636776657273696f6e01", "roots is not an array"},
      {"22a364626c6970f565726f6f747381d82a4800010000036162636776657273696f6e01", "unexpected header key"},
      {"03820180", "header is not a map"},
      {"01f6", "header is not a map"},
      {"", "empty stream"},
      {"00", "header of 0 bytes"},
      {"8000", "bad length"},                      // non-minimal varint
      {"818040", "header of 1048577 bytes"},       // refused before reading it
      {"13a265726f6f74738161766776657273696f6e01", "roots[0] is not a CID link"},
  };
  for (const auto& [h, want] : cases) {
    Status s = import_error(unhex(h));
    EXPECT_FALSE(s.ok()) << h;
    EXPECT_NE(s.message().find(want), std::string::npos) << h << " -> " << s.message();
  }
  // Sanity: {version:1, roots:[baeaaaa3bmjrq]} (an identity CID) is fine, and
  // so is an empty roots array.
  EXPECT_TRUE(import_error(unhex("1ca265726f6f747381d82a4800010000036162636776657273696f6e01")).ok());
  EXPECT_TRUE(import_error(car_header({}).value()).ok());
}

TEST(Car, SectionBounds) {
  const std::string header = car_header({}).value();
  std::string huge = header;
  put_varint(huge, uint64_t{1} << 40);  // announced, never allocated
  Status s = import_error(huge);
  EXPECT_EQ(s.code(), "PAYLOAD_TOO_LARGE");
  EXPECT_NE(s.message().find("section at byte offset " + std::to_string(header.size())), std::string::npos);

  EXPECT_NE(import_error(header + std::string(1, '\0')).message().find("zero-length section"), std::string::npos);

  std::string bad_cid = header;
  put_varint(bad_cid, 3);
  bad_cid += unhex("020304");
  EXPECT_NE(import_error(bad_cid).message().find("bad CID"), std::string::npos);

  // A block over 2 MiB inside a section that fits the section bound.
  const std::string big(kMaxBlockBytes + 1, 'b');
  const Cid big_cid = Cid::v1_sha256(kCodecRaw, big);
  std::string over = header;
  put_varint(over, big_cid.bytes().size() + big.size());
  over += big_cid.bytes() + big;
  EXPECT_EQ(import_error(over).code(), "PAYLOAD_TOO_LARGE");

  // A hash we cannot verify is refused, not trusted.
  const Cid blake = Cid::v1(kCodecRaw, Multihash::create(0xb220, std::string(32, 'z')).value());
  std::string unverifiable = header;
  put_varint(unverifiable, blake.bytes().size() + 1);
  unverifiable += blake.bytes() + "x";
  EXPECT_NE(import_error(unverifiable).message().find("cannot verify"), std::string::npos);

  // Block count bound.
  MemStore store;
  const std::string car = unhex(kCarv1Basic);
  EXPECT_EQ(import_car(string_source(car), store.sink(), 7).status().code(), "PAYLOAD_TOO_LARGE");
  EXPECT_TRUE(import_car(string_source(car), store.sink(), 8).ok());
}

TEST(Car, ReaderStaysFailedAndSinkErrorsStopTheImport) {
  std::string car = unhex(kGoCarSingle) + unhex("640000");
  Result<CarReader> reader = CarReader::open(string_source(car));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(reader->next().ok());
  Status first = reader->next().status();
  EXPECT_FALSE(first.ok());
  EXPECT_EQ(reader->next().status().message(), first.message());

  Result<CarImport> r = import_car(string_source(unhex(kGoCarSingle)), [](const Cid&, std::string_view) {
    return Status(ErrorCode::kQdriveStorageFull, "full");
  });
  EXPECT_EQ(r.status().code(), "QDRIVE_STORAGE_FULL");
}

TEST(Car, ExportNeedsEveryBlockAndRefusesBadBytes) {
  MemStore store;
  ASSERT_TRUE(import_car(string_source(unhex(kCarv1Basic)), store.sink()).ok());
  const Cid root = Cid::parse("bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm").value();
  // Drop a raw leaf: NOT_FOUND naming it.
  const Cid aaaa = Cid::v1_sha256(kCodecRaw, "aaaa");
  store.blocks.erase(aaaa);
  Status s;
  export_to_string({root}, store.getter(), &s);
  EXPECT_EQ(s.code(), "NOT_FOUND");
  EXPECT_NE(s.message().find(aaaa.to_string()), std::string::npos);
  // A getter that lies about a block's bytes.
  store.blocks[aaaa] = "AAAA";
  export_to_string({root}, store.getter(), &s);
  EXPECT_EQ(s.code(), "INTERNAL_ERROR");
  EXPECT_NE(s.message().find(aaaa.to_string()), std::string::npos);
}

TEST(Car, IdentityBlocksAreWalkedButNotWritten) {
  MemStore store;
  const Cid leaf = Cid::v1_sha256(kCodecRaw, "leaf");
  store.blocks.emplace(leaf, "leaf");
  const std::string inner = dag_cbor_encode(Json{{"l", dag_json_link(leaf)}}).value();
  const Cid inline_node = Cid::v1(kCodecDagCbor, Multihash::identity(inner).value());
  store.blocks.emplace(inline_node, inner);
  const std::string car = export_to_string({inline_node}, store.getter());
  MemStore back;
  Result<CarImport> r = import_car(string_source(car), back.sink());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(back.order, std::vector<Cid>{leaf});
}

TEST(Car, IstreamSource) {
  std::istringstream in(unhex(kGoCarSingle));
  MemStore store;
  Result<CarImport> r = import_car(istream_source(in), store.sink());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->blocks, 1u);
}

}  // namespace
}  // namespace anarq::ipld
