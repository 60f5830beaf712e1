#include "store/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "crypto/xmss.h"
#include "ipld/multibase.h"
#include "store/testing.h"

namespace anarq {
namespace {

class KeystoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_sqlite(dir_ / "state.db").value();
    ks_ = open_ks("dev");
  }
  std::unique_ptr<Keystore> open_ks(const std::string& env, const std::string& master = "") {
    auto ks = Keystore::open(*db_, clock_, {.environment = env, .master_key_b64 = master, .data_dir = dir_.path()});
    EXPECT_TRUE(ks.ok()) << ks.status().to_string();
    return ks.ok() ? std::move(*ks) : nullptr;
  }
  KeyVersion create(const NewKey& k) {
    KeyVersion out;
    Status s = db_->transaction([&](Tx& tx) -> Status {
      auto v = ks_->create(tx, k);
      if (!v.ok()) return v.status();
      out = *v;
      return {};
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out;
  }
  KeyVersion rotate(const std::string& id) {
    KeyVersion out;
    EXPECT_TRUE(db_->transaction([&](Tx& tx) -> Status {
      auto v = ks_->rotate(tx, id);
      if (!v.ok()) return v.status();
      out = *v;
      return {};
    }).ok());
    return out;
  }
  Status revoke(const std::string& id, int version) {
    return db_->transaction([&](Tx& tx) -> Status {
      auto v = ks_->revoke(tx, id, version);
      return v.ok() ? Status() : v.status();
    });
  }
  testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<Db> db_;
  std::unique_ptr<Keystore> ks_;
};

TEST_F(KeystoreTest, MasterKeyFileIsCreated0600AndAWrongMasterKeyIsRefused) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = Keystore::open(*db_, clock_, {.environment = "dev", .data_dir = dir_.path()});
  EXPECT_TRUE(again.ok()) << "the same master key reopens it";
  auto wrong = Keystore::open(*db_, clock_, {.environment = "dev", .master_key_b64 = std::string(44, 'A')});
  EXPECT_EQ(wrong.status().code(), "VALIDATION_ERROR") << "44 'A's decode to 33 bytes";
  wrong = Keystore::open(*db_, clock_,
                         {.environment = "dev", .master_key_b64 = ipld::base64_encode(std::string(32, 'k'), false)});
  EXPECT_EQ(wrong.status().code(), "SERVICE_UNAVAILABLE");
  EXPECT_NE(wrong.status().message().find("does not open this keystore"), std::string::npos);
  EXPECT_EQ(Keystore::open(*db_, clock_, {.environment = "qa"}).status().code(), "VALIDATION_ERROR");
}

TEST_F(KeystoreTest, AMissingMasterKeyFileIsNotReplacedForAnExistingKeystore) {
  std::filesystem::remove(dir_ / "master.key");
  auto reopened = Keystore::open(*db_, clock_, {.environment = "dev", .data_dir = dir_.path()});
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), "SERVICE_UNAVAILABLE");
  EXPECT_NE(reopened.status().message().find("is missing"), std::string::npos) << reopened.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key")) << "no wrong key file is left behind";
}

TEST_F(KeystoreTest, RecordsHaveTheDefaultsOfTheirPurpose) {
  auto enc = create({.owner = "did:a", .purpose = KeyPurpose::kEncryption});
  EXPECT_EQ(enc.algorithm, kAlgXChaCha);
  EXPECT_EQ(enc.rotate_after, "P90D");
  EXPECT_EQ(enc.environment, "dev");
  EXPECT_TRUE(enc.public_key.empty());
  auto sig = create({.owner = "did:a", .purpose = KeyPurpose::kSigning});
  EXPECT_EQ(sig.algorithm, kAlgEd25519);
  EXPECT_EQ(sig.rotate_after, "P30D");
  EXPECT_EQ(sig.public_key.rfind("did:key:z6Mk", 0), 0u);
  auto api = create({.owner = "did:a", .purpose = KeyPurpose::kAuthentication});
  EXPECT_EQ(api.rotate_after, "P7D");
  auto manual = create({.owner = "did:a", .purpose = KeyPurpose::kSigning, .manual_rotation = true});
  EXPECT_EQ(manual.rotate_after, "");
  Status bad = db_->transaction([&](Tx& tx) -> Status {
    return ks_->create(tx, {.owner = "did:a", .purpose = KeyPurpose::kEncryption, .algorithm = kAlgEd25519}).status();
  });
  EXPECT_EQ(bad.code(), "VALIDATION_ERROR");
  bad = db_->transaction([&](Tx& tx) -> Status {
    return ks_->create(tx, {.key_id = enc.key_id, .owner = "did:a"}).status();
  });
  EXPECT_EQ(bad.code(), "VERSION_CONFLICT");
  auto listed = ks_->list("did:a", 10, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 4u);
  EXPECT_EQ(ks_->list("did:b", 10, "")->size(), 0u);
}

TEST_F(KeystoreTest, RotationKeepsOldVersionsDecryptingUntilRevoked) {
  auto k = create({.owner = "did:a", .purpose = KeyPurpose::kEncryption});
  auto v1 = ks_->encrypt(k.key_id, "on v1", "aad");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->version, 1);
  auto r = rotate(k.key_id);
  EXPECT_EQ(r.version, 2);
  EXPECT_EQ(ks_->get(k.key_id, 1)->status, KeyStatus::kRotating);
  EXPECT_EQ(*ks_->decrypt(k.key_id, 1, v1->nonce, v1->ciphertext, "aad"), "on v1") << "v1 still decrypts";
  auto v2 = ks_->encrypt(k.key_id, "on v2", "aad");
  EXPECT_EQ(v2->version, 2) << "new encryptions use the newest version";
  rotate(k.key_id);
  EXPECT_EQ(ks_->get(k.key_id, 1)->status, KeyStatus::kDeprecated);
  EXPECT_EQ(ks_->get(k.key_id, 2)->status, KeyStatus::kRotating);
  ASSERT_TRUE(revoke(k.key_id, 1).ok());
  auto refused = ks_->decrypt(k.key_id, 1, v1->nonce, v1->ciphertext, "aad");
  EXPECT_EQ(refused.status().code(), "QLOCK_KEY_REVOKED");
  EXPECT_EQ(refused.status().http_status(), 403);
  EXPECT_EQ(*ks_->decrypt(k.key_id, 2, v2->nonce, v2->ciphertext, "aad"), "on v2") << "only v1 was revoked";
  EXPECT_EQ(ks_->decrypt(k.key_id, 2, v2->nonce, v2->ciphertext, "other").status().code(), "QLOCK_DECRYPTION_FAILED");
  ASSERT_TRUE(revoke(k.key_id, 0).ok());
  EXPECT_EQ(ks_->encrypt(k.key_id, "x", "").status().code(), "QLOCK_KEY_REVOKED");
  EXPECT_EQ(ks_->versions(k.key_id)->size(), 3u);
  EXPECT_EQ(revoke("absent", 0).code(), "NOT_FOUND");
}

TEST_F(KeystoreTest, AKeyOfAnotherEnvironmentIsRefused) {
  auto k = create({.owner = "did:a", .purpose = KeyPurpose::kEncryption});
  auto ct = ks_->encrypt(k.key_id, "dev data", "");
  ASSERT_TRUE(ct.ok());
  auto prod = open_ks("prod");
  auto r = prod->decrypt(k.key_id, 1, ct->nonce, ct->ciphertext, "");
  EXPECT_EQ(r.status().code(), "QLOCK_KEY_ENVIRONMENT");
  EXPECT_EQ(r.status().details()["keyEnvironment"], "dev");
  EXPECT_EQ(prod->encrypt(k.key_id, "x", "").status().code(), "QLOCK_KEY_ENVIRONMENT");
}

TEST_F(KeystoreTest, MaterialIsSealedAndBoundToItsRecord) {
  auto k = create({.owner = "did:a", .purpose = KeyPurpose::kSigning});
  auto rows = db_->query("SELECT sealed FROM keystore_keys WHERE key_id = ?", {k.key_id});
  const std::string sealed = std::get<Blob>((*rows)[0].at(0)).bytes;
  auto kp = ks_->ed25519(k.key_id);
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(sealed.find(std::string(kp->seed())), std::string::npos) << "no plaintext seed at rest";
  // Moving the sealed material to another owner breaks it.
  ASSERT_TRUE(db_->transaction([&](Tx& tx) -> Status {
    return tx.exec("UPDATE keystore_keys SET owner = 'did:eve' WHERE key_id = ?", {k.key_id}).status();
  }).ok());
  EXPECT_EQ(ks_->ed25519(k.key_id).status().code(), "INTERNAL_ERROR");
}

TEST_F(KeystoreTest, ScheduledRotationFindsKeysPastTheirPeriod) {
  auto enc = create({.owner = "did:a", .purpose = KeyPurpose::kEncryption});
  auto sig = create({.owner = "did:a", .purpose = KeyPurpose::kSigning});
  create({.owner = "did:a", .purpose = KeyPurpose::kSigning, .manual_rotation = true});
  EXPECT_TRUE(ks_->due_for_rotation(clock_.now_ms())->empty());
  clock_.advance_ms(31LL * 86'400'000);
  EXPECT_EQ(*ks_->due_for_rotation(clock_.now_ms()), std::vector<std::string>{sig.key_id});
  rotate(sig.key_id);
  EXPECT_TRUE(ks_->due_for_rotation(clock_.now_ms())->empty()) << "the new version restarts the period";
  clock_.advance_ms(60LL * 86'400'000);
  EXPECT_EQ(ks_->due_for_rotation(clock_.now_ms())->size(), 2u);
  (void)enc;
}

TEST_F(KeystoreTest, XmssLeavesAreSpentDurablyBeforeSigning) {
  KeyVersion k;
  ASSERT_TRUE(db_->transaction([&](Tx& tx) -> Status {
    auto v = ks_->import(tx, {.owner = "did:a", .purpose = KeyPurpose::kSigning, .algorithm = kAlgXmss},
                         crypto::xmss_generate().private_key);
    if (v.ok()) k = *v;
    return v.status();
  }).ok());
  auto a = ks_->xmss_sign(k.key_id, "m1");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->leaf, 0u);
  EXPECT_EQ(a->leaves_left, 1023u);
  EXPECT_TRUE(crypto::xmss_verify(a->public_key, "m1", a->signature));
  EXPECT_EQ(ipld::base64_encode(a->public_key, true), k.public_key);
  auto reopened = open_ks("dev");
  auto b = reopened->xmss_sign(k.key_id, "m2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->leaf, 1u) << "the spent leaf is remembered across a reopen";
  EXPECT_TRUE(crypto::xmss_verify(b->public_key, "m2", b->signature));
  EXPECT_EQ(ks_->xmss_sign(create({.owner = "did:a", .purpose = KeyPurpose::kSigning}).key_id, "m").status().code(),
            "VALIDATION_ERROR") << "an Ed25519 key is not XMSS";
}

TEST_F(KeystoreTest, AnOwnerHasAtMostAThousandKeys) {
  Status s = db_->transaction([&](Tx& tx) -> Status {
    for (int64_t i = 0; i < kMaxKeysPerOwner; ++i) {
      auto v = ks_->create(tx, {.owner = "did:many", .purpose = KeyPurpose::kEncryption});
      if (!v.ok()) return v.status();
    }
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  Status over = db_->transaction([&](Tx& tx) -> Status {
    return ks_->create(tx, {.owner = "did:many", .purpose = KeyPurpose::kEncryption}).status();
  });
  EXPECT_EQ(over.code(), "QLOCK_KEY_LIMIT");
  EXPECT_EQ(over.http_status(), 409);
  EXPECT_TRUE(db_->transaction([&](Tx& tx) -> Status {
    return ks_->create(tx, {.owner = "did:other", .purpose = KeyPurpose::kEncryption}).status();
  }).ok()) << "the bound is per owner";
}

TEST(Iso8601DurationTest, ParsesTheCommonFormsAndRefusesTheRest) {
  EXPECT_EQ(*parse_iso8601_duration_ms("P30D"), 30LL * 86'400'000);
  EXPECT_EQ(*parse_iso8601_duration_ms("P1W"), 7LL * 86'400'000);
  EXPECT_EQ(*parse_iso8601_duration_ms("PT12H"), 12LL * 3'600'000);
  EXPECT_EQ(*parse_iso8601_duration_ms("P1DT1H1M1S"), 86'400'000 + 3'600'000 + 60'000 + 1'000);
  EXPECT_EQ(*parse_iso8601_duration_ms("P1M"), 30LL * 86'400'000);
  EXPECT_EQ(*parse_iso8601_duration_ms("PT1M"), 60'000);
  EXPECT_EQ(*parse_iso8601_duration_ms("P100Y"), 100LL * 365 * 86'400'000);
  for (const char* bad : {"", "P", "PT", "30D", "P30", "P-1D", "P1H", "PT1D", "P0D", "P1DT", "P1.5D", "P9999999999D",
                          "P101Y", "P999999999Y", "P99Y999999999D"})
    EXPECT_FALSE(parse_iso8601_duration_ms(bad).ok()) << bad;
}

}  // namespace
}  // namespace anarq
