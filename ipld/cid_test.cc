#include "ipld/cid.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "ipld/multicodec.h"
#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

// CID strings and their binary forms, from the links in the IPLD cross-codec
// fixtures (ipld/ipld specs/codecs/dag-cbor/fixtures/cross-codec).
struct Known {
  const char* text;
  const char* bytes_hex;
  uint64_t version;
  uint64_t codec;
};
const Known kKnown[] = {
    {"QmQg1v4o9xdT3Q14wh4S7dxZkDjyZ9ssFzFzyep1YrVJBY",
     "122022ad631c69ee983095b5b8acd029ff94aff1dc6c48837878589a92b90dfea317", 0, kCodecDagPb},
    {"QmRgutAxd8t7oGkSm4wmeuByG6M51wcTso6cubDdQtuEfL",
     "122031c3d57080d8463a3c63b2923df5a1d40ad7a73eae5a14af584213e5f504ac33", 0, kCodecDagPb},
    {"QmXg9Pp2ytZ14xgmQjYEiHjVjMFXzCVVEcRTWJBmLgR39V",
     "12208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f44", 0, kCodecDagPb},
    {"bafkqabiaaebagba", "015500050001020304", 1, kCodecRaw},
    {"bafkreiebzrnroamgos2adnbpgw5apo3z4iishhbdx77gldnbk57d4zdio4",
     "0155122081cc5b17018674b401b42f35ba07bb79e211239c23bffe658da1577e3e646877", 1, kCodecRaw},
    {"bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm",
     "0171122069ea0740f9807a28f4d932c62e7c1c83be055e55072c90266ab3e79df63a365b", 1, kCodecDagCbor},
    {"bagcqcera73rupyla6bauseyk75rslfys3st25spm75ykhvgusqvv2zfqtucq",
     "0185011220fee347e160f04149130aff63259712dca7aec9ecff70a3d4d4942b5d64b09d05", 1, 0x85},
    {"bahaacvrabdhd3fzrwaambazyivoiustl2bo2c3rgweo2ug4rogcoz2apaqaa",
     "01c001562008ce3d9731b000c08338455c8a4a6bd05da16e26b11daa1b917184ece80f0400", 1, 0xc0},
};

TEST(Cid, ParsesKnownCids) {
  for (const Known& k : kKnown) {
    Result<Cid> cid = Cid::parse(k.text);
    ASSERT_TRUE(cid.ok()) << k.text << ": " << cid.status().to_string();
    EXPECT_EQ(hex(cid->bytes()), k.bytes_hex) << k.text;
    EXPECT_EQ(cid->version(), k.version) << k.text;
    EXPECT_EQ(cid->codec(), k.codec) << k.text;
    EXPECT_EQ(cid->to_string(), k.text);
    Result<Cid> from_bytes = Cid::from_bytes(unhex(k.bytes_hex));
    ASSERT_TRUE(from_bytes.ok()) << k.text;
    EXPECT_EQ(*from_bytes, *cid);
  }
}

TEST(Cid, ParsesBase58AndOtherBasesOfV1) {
  // base58btc CIDv1s from the same fixtures.
  struct { const char* text; const char* bytes_hex; } cases[] = {
      {"z8mWaJ1dZ9fH5EetPuRsj8jj26pXsgpsr", "01781114c876ceeaa8b30123bc5fc99359e682a737308659"},
      {"zdj7Wd8AMwqnhJGQCbFxBVodGSBG84TM7Hs1rcJuQMwTyfEDS",
       "017012207252523e6591fb8fe553d67ff55a86f84044b46a3e4176e10c58fa529a4aabd5"},
      {"zdpuAtX7ZibcWdSKQwiDCkPjWwRvtcKCPku9H7LhgA4qJW4Wk",
       "01711220785197229dc8bb1152945da58e2348f7e279eeded06cc2ca736d0e879858b501"},
  };
  for (const auto& c : cases) {
    Result<Cid> cid = Cid::parse(c.text);
    ASSERT_TRUE(cid.ok()) << c.text << ": " << cid.status().to_string();
    EXPECT_EQ(hex(cid->bytes()), c.bytes_hex);
    EXPECT_EQ(*cid->to_string(Multibase::kBase58Btc), c.text);
    // The default text form is base32.
    EXPECT_EQ(cid->to_string()[0], 'b');
    EXPECT_EQ(*Cid::parse(cid->to_string()), *cid);
  }
  Result<Cid> cid = Cid::parse("bafkreiebzrnroamgos2adnbpgw5apo3z4iishhbdx77gldnbk57d4zdio4");
  for (Multibase b : {Multibase::kBase32Upper, Multibase::kBase58Btc, Multibase::kBase64Url, Multibase::kBase64}) {
    Result<std::string> text = cid->to_string(b);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*Cid::parse(*text), *cid) << *text;
  }
  EXPECT_EQ(*cid->to_string(Multibase::kBase32Upper),
            "BAFKREIEBZRNROAMGOS2ADNBPGW5APO3Z4IISHHBDX77GLDNBK57D4ZDIO4");
}

TEST(Cid, V0V1Conversions) {
  // The zero-length dag-pb block, from the DAG-PB spec.
  Cid v0 = Cid::v0_sha256("");
  EXPECT_EQ(v0.to_string(), "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
  Cid v1 = v0.to_v1();
  EXPECT_EQ(v1.to_string(), "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(v1, Cid::v1_sha256(kCodecDagPb, ""));
  Result<Cid> back = v1.to_v0();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v0);
  EXPECT_NE(v0, v1);
  EXPECT_EQ(*Cid::parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"), v0);
  EXPECT_EQ(*v0.to_string(Multibase::kBase58Btc), v0.to_string());
  EXPECT_FALSE(v0.to_string(Multibase::kBase32).ok());

  // raw and identity CIDs have no v0 form.
  Cid raw = Cid::v1_sha256(kCodecRaw, "");
  EXPECT_EQ(raw.to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_FALSE(raw.to_v0().ok());
  Cid identity = Cid::v1(kCodecDagPb, *Multihash::identity("x"));
  EXPECT_FALSE(identity.to_v0().ok());
  EXPECT_FALSE(Cid::create(0, kCodecRaw, Multihash::sha256("")).ok());
  EXPECT_FALSE(Cid::create(2, kCodecRaw, Multihash::sha256("")).ok());
}

TEST(Cid, ReadAdvancesForCarSections) {
  Cid a = Cid::v0_sha256("a");
  Cid b = Cid::v1_sha256(kCodecDagCbor, "b");
  std::string buf = a.bytes() + b.bytes() + "rest";
  std::string_view in = buf;
  EXPECT_EQ(*Cid::read(in), a);
  EXPECT_EQ(*Cid::read(in), b);
  EXPECT_EQ(in, "rest");
}

TEST(Cid, OrderingAndEquality) {
  std::set<Cid> s = {Cid::v1_sha256(kCodecRaw, "a"), Cid::v1_sha256(kCodecRaw, "a"), Cid::v0_sha256("a")};
  EXPECT_EQ(s.size(), 2u);
  EXPECT_LT(Cid::v0_sha256("a"), Cid::v1_sha256(kCodecRaw, "a"));
}

TEST(Cid, RefusesBadStrings) {
  const char* bad[] = {
      "",
      "Qm",                                                 // too short for v0, 'Q' no multibase
      "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1",      // 45 chars
      "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1nn",    // 47 chars
      "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1l",     // 'l' is not base58
      "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR10",     // '0' is not base58
      "zQmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n",    // multibase-wrapped CIDv0
      "bciqaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  // base32 starting 0x12
      "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",  // truncated digest
      "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykuaa",  // trailing byte
      "BAFYBEIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKu",  // mixed case
      "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk!",
      "fbafy",                                              // hex multibase not spoken
      "b",                                                  // no bytes
      "baa",                                                // version 0
      "bai",                                                // version 2
  };
  for (const char* text : bad) {
    Result<Cid> cid = Cid::parse(text);
    EXPECT_FALSE(cid.ok()) << "accepted: " << text;
    if (!cid.ok()) {
      EXPECT_EQ(cid.status().code(), "VALIDATION_ERROR");
    }
  }
  EXPECT_FALSE(Cid::parse(std::string(kMaxCidTextBytes + 1, 'b')).ok());
}

TEST(Cid, RefusesBadBytes) {
  const char* bad[] = {
      "",
      "12",                    // v0 prefix truncated
      "1220",                  // v0 without digest
      "1220e3b0",              // v0 short digest
      "1210e3b0c44298fc1c149afbf4c8996fb924",  // 0x12 but not a 32-byte digest
      "00",                    // version 0 varint
      "02551220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // version 2
      "01",                    // no codec
      "0155",                  // no multihash
      "01551220e3",            // truncated digest
      "8101",                  // non-minimal version varint
  };
  for (const char* h : bad) {
    Result<Cid> cid = Cid::from_bytes(unhex(h));
    EXPECT_FALSE(cid.ok()) << "accepted: " << h;
  }
  // Trailing bytes are refused by from_bytes but left alone by read.
  const std::string with_tail = Cid::v1_sha256(kCodecRaw, "").bytes() + "x";
  EXPECT_FALSE(Cid::from_bytes(with_tail).ok());
}

TEST(Cid, GarbageNeverCrashes) {
  std::mt19937 rng(3);
  const std::string alphabet = "bBzumQ123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ+/-_=";
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 64, ' ');
    for (auto& c : text) c = alphabet[rng() % alphabet.size()];
    Result<Cid> cid = Cid::parse(text);
    if (cid.ok()) {
      EXPECT_EQ(*Cid::parse(cid->to_string()), *cid);
    }
    std::string bytes(rng() % 40, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 1 : rng());
    Result<Cid> b = Cid::from_bytes(bytes);
    if (b.ok()) {
      EXPECT_EQ(b->bytes(), bytes);
    }
  }
}

}  // namespace
}  // namespace anarq::ipld
