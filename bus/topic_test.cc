#include "bus/topic.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace anarq::bus {
namespace {

TEST(TopicTest, AcceptsStandardsExamplesAndSeedTopics) {
  for (const char* t : {"q.qmail.sent.v1", "q.qwallet.tx.signed.v1", "q.squid.sub.created.v1",
                        "q.qindex.record.created.v1", "q.tools.registry.updated.v1",
                        // edges of the grammar
                        "q.a.b.v1", "q.m2.a_b.v10", "q.qmail.v1.v2", "q.x.y_.v999"}) {
    EXPECT_TRUE(validate_topic(t).ok()) << t << ": " << validate_topic(t).to_string();
  }
}

TEST(TopicTest, RefusesInvalidTopicsSayingWhy) {
  struct Case {
    std::string topic;
    std::string reason;  // a substring of the message
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"qmail.sent.v1", "must start with 'q.'"},
      {"Q.qmail.sent.v1", "must start with 'q.'"},
      {"qq.mail.sent.v1", "must start with 'q.'"},
      {"q.", "empty token"},
      {"q..sent.v1", "empty token"},
      {"q.qmail..sent.v1", "empty token"},
      {"q.qmail.sent.v1.", "empty token"},
      {"q.qmail.sent", "missing version suffix .vN"},
      {"q.qmail.sent.V1", "missing version suffix .vN"},
      {"q.qmail.sent.v", "missing version suffix .vN"},
      {"q.qmail.sent.1", "missing version suffix .vN"},
      {"q.qmail.sent.version1", "missing version suffix .vN"},
      {"q.qmail.sent.v0", "leading zeros"},
      {"q.qmail.sent.v01", "leading zeros"},
      {"q.qmail.sent.v1a", "only digits"},
      {"q.qmail.v1", "at least one action word"},
      {"q.v1", "at least one action word"},
      {"q.1mail.sent.v1", "module must start with a letter"},
      {"q._mail.sent.v1", "module must start with a letter"},
      {"q.Qmail.sent.v1", "module must start with a letter"},
      {"q.q_mail.sent.v1", "module may contain only"},
      {"q.qMail.sent.v1", "module may contain only"},
      {"q.qmail.1sent.v1", "action word must start with a letter"},
      {"q.qmail._sent.v1", "action word must start with a letter"},
      {"q.qmail.Sent.v1", "action word must start with a letter"},
      {"q.qmail.se-nt.v1", "action word may contain only"},
      {"q.qmail.sent*.v1", "action word may contain only"},
      {"q.qmail.*.v1", "action word must start with a letter"},
      {"q.qmail.sent .v1", "action word may contain only"},
      {"q.qmail.s\xc3\xa9nt.v1", "action word may contain only"},
      {std::string("q.qmail.se\0nt.v1", 16), "action word may contain only"},
      {"q.qmail.sent.v1\n", "only digits"},
      {"q.qmail.sent.v-1", "missing version suffix .vN"},
      {"q.qmail." + std::string(250, 'a') + ".v1", "longer than 255"},
  };
  ASSERT_GE(cases.size(), 25u);
  for (const Case& c : cases) {
    Status s = validate_topic(c.topic);
    EXPECT_EQ(s.code(), "VALIDATION_ERROR") << c.topic;
    EXPECT_NE(s.message().find(c.reason), std::string::npos) << c.topic << " -> " << s.message();
    EXPECT_FALSE(parse_topic(c.topic).ok()) << c.topic;
  }
}

TEST(TopicTest, LengthBoundIsExactly255Bytes) {
  std::string at = "q.qmail." + std::string(255 - 11, 'a') + ".v1";
  ASSERT_EQ(at.size(), 255u);
  EXPECT_TRUE(validate_topic(at).ok());
  EXPECT_FALSE(validate_topic("q.qmail." + std::string(255 - 10, 'a') + ".v1").ok());
}

TEST(TopicTest, ParsesModuleActionAndVersion) {
  Result<TopicParts> p = parse_topic("q.squid.sub.created.v1");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->module, "squid");
  EXPECT_EQ(p->action, "sub.created");
  EXPECT_EQ(p->version, 1);

  p = parse_topic("q.qmail.sent.v12");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->module, "qmail");
  EXPECT_EQ(p->action, "sent");
  EXPECT_EQ(p->version, 12);

  p = parse_topic("q.tools.registry.updated.v2147483647");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->version, 2147483647);
}

TEST(TopicTest, VersionBeyondIntIsRefusedByParseOnly) {
  const std::string big = "q.qmail.sent.v2147483648";
  EXPECT_TRUE(validate_topic(big).ok());  // the regex has no bound on N
  Result<TopicParts> p = parse_topic(big);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), "VALIDATION_ERROR");
  EXPECT_FALSE(parse_topic("q.qmail.sent.v" + std::string(200, '9')).ok());
}

TEST(SubjectPatternTest, AcceptsAndRefuses) {
  for (const char* p : {"q.qmail.sent.v1", "q.>", ">", "*", "q.*.sent.v1", "q.*.*.>", "a_b.0.*", "*.>"}) {
    EXPECT_TRUE(validate_subject_pattern(p).ok()) << p;
  }
  for (const char* p : {"", ".", "q.", ".q", "q..x", "q.>.x", "q.>>", "q.a*", "q.*a", "q.>a", "q.Mail",
                        "q.qmail sent", "q.a-b", "q.a/b", "q.\xc3\xa9"}) {
    Status s = validate_subject_pattern(p);
    EXPECT_EQ(s.code(), "VALIDATION_ERROR") << p;
  }
}

TEST(SubjectPatternTest, BoundsOnBytesAndTokens) {
  std::string tokens32;
  for (int i = 0; i < 32; ++i) tokens32 += (i ? ".a" : "a");
  EXPECT_TRUE(validate_subject_pattern(tokens32).ok());
  EXPECT_FALSE(validate_subject_pattern(tokens32 + ".a").ok());
  EXPECT_NE(validate_subject_pattern(tokens32 + ".a").message().find("32 tokens"), std::string::npos);
  EXPECT_TRUE(validate_subject_pattern(std::string(255, 'a')).ok());
  EXPECT_FALSE(validate_subject_pattern(std::string(256, 'a')).ok());
  // Many dots: refused by the byte bound or the token bound, never a crash.
  EXPECT_FALSE(validate_subject_pattern(std::string(255, '.')).ok());
  EXPECT_FALSE(validate_subject_pattern(std::string(100000, '.')).ok());
}

TEST(SubjectMatchTest, Table) {
  struct Case {
    const char* pattern;
    const char* subject;
    bool match;
  };
  const std::vector<Case> cases = {
      // literal
      {"q.qmail.sent.v1", "q.qmail.sent.v1", true},
      {"q.qmail.sent.v1", "q.qmail.sent.v2", false},
      {"q.qmail.sent.v1", "q.qmail.sent", false},
      {"q.qmail.sent", "q.qmail.sent.v1", false},
      {"q.qmail.sent.v1", "q.qmail.sent.v1.x", false},
      {"q.qmail", "q.qmai", false},
      {"q.qmai", "q.qmail", false},
      // '>'
      {"q.qmail.>", "q.qmail.sent.v1", true},
      {"q.qmail.>", "q.qmail.sent", true},
      {"q.qmail.>", "q.qmail", false},
      {"q.qmail.>", "q.qwallet.tx.signed.v1", false},
      {"q.>", "q.qmail.sent.v1", true},
      {"q.>", "q", false},
      {">", "q", true},
      {">", "q.qmail.sent.v1", true},
      {">", "anything_1.at.all", true},
      {"q.qwallet.tx.>", "q.qwallet.tx.signed.v1", true},
      {"q.qwallet.tx.>", "q.qwallet.tx", false},
      {"q.qwallet.tx.>", "q.qwallet.txs.signed.v1", false},
      // '*'
      {"q.*.sent.v1", "q.qmail.sent.v1", true},
      {"q.*.sent.v1", "q.qmail.x.sent.v1", false},
      {"q.*.sent.v1", "q.sent.v1", false},
      {"q.*.sent.v1", "q.qmail.sent.v2", false},
      {"*", "q", true},
      {"*", "q.qmail", false},
      {"q.*", "q.qmail", true},
      {"q.*", "q.qmail.sent", false},
      {"q.*", "q", false},
      {"*.*.*.*", "q.qmail.sent.v1", true},
      {"*.*.*", "q.qmail.sent.v1", false},
      {"*.*.*.*.*", "q.qmail.sent.v1", false},
      {"q.qmail.sent.*", "q.qmail.sent.v1", true},
      {"q.qmail.*.*", "q.qmail.sent.v1", true},
      {"q.*.*.v1", "q.squid.sub.created.v1", false},
      {"q.*.*.*.v1", "q.squid.sub.created.v1", true},
      // '*' and '>' together
      {"q.*.>", "q.qmail.sent.v1", true},
      {"q.*.>", "q.qmail", false},
      {"*.>", "q.qmail", true},
      {"*.>", "q", false},
      {"q.*.sub.>", "q.squid.sub.created.v1", true},
      {"q.*.sub.>", "q.squid.sub", false},
      // a wildcard in the subject is literal text NATS would never deliver; refused
      {"q.*", "q.*", false},
      {">", "q.>", false},
      {"q.qmail.sent.v1", "q.qmail.*.v1", false},
      // invalid patterns or subjects never match
      {"q.>.sent", "q.qmail.sent", false},
      {"q.qm*", "q.qmail", false},
      {"", "", false},
      {"q..x", "q..x", false},
      {"q.Qmail", "q.Qmail", false},
      {"q.qmail.", "q.qmail.", false},
  };
  ASSERT_GE(cases.size(), 40u);
  for (const Case& c : cases) {
    EXPECT_EQ(subject_matches(c.pattern, c.subject), c.match) << c.pattern << " vs " << c.subject;
  }
}

std::string random_word(std::mt19937& rng, bool allow_underscore) {
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyz";
  static constexpr char kRest[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
  std::uniform_int_distribution<int> len(1, 8);
  std::uniform_int_distribution<int> letter(0, 25);
  std::uniform_int_distribution<int> rest(0, allow_underscore ? 36 : 35);
  std::string w(1, kLetters[letter(rng)]);
  for (int i = len(rng) - 1; i > 0; --i) w.push_back(kRest[rest(rng)]);
  return w;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) {
    out.push_back(s.substr(start, dot - start));
  }
  out.push_back(s.substr(start));
  return out;
}

std::string join_dots(const std::vector<std::string>& tokens) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) out += (i ? "." : "") + tokens[i];
  return out;
}

TEST(SubjectMatchTest, PropertyRandomValidTopics) {
  std::mt19937 rng(20261125);  // fixed seed: reproducible
  std::uniform_int_distribution<int> words(1, 5);
  std::uniform_int_distribution<int> version(1, 99999);
  for (int iter = 0; iter < 500; ++iter) {
    std::string topic = "q." + random_word(rng, false);
    for (int i = words(rng); i > 0; --i) topic.append(".").append(random_word(rng, true));
    topic += ".v" + std::to_string(version(rng));
    ASSERT_TRUE(validate_topic(topic).ok()) << topic;
    ASSERT_TRUE(parse_topic(topic).ok()) << topic;

    EXPECT_TRUE(subject_matches(topic, topic)) << topic;
    EXPECT_TRUE(subject_matches(">", topic)) << topic;
    EXPECT_TRUE(subject_matches("q.>", topic)) << topic;
    std::vector<std::string> tokens = split_dots(topic);
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::vector<std::string> star = tokens;
      star[i] = "*";
      EXPECT_TRUE(subject_matches(join_dots(star), topic)) << join_dots(star) << " vs " << topic;
      // '>' in place of the tail from token i matches; a pattern one token longer does not.
      std::vector<std::string> tail(tokens.begin(), tokens.begin() + static_cast<long>(i));
      tail.push_back(">");
      EXPECT_TRUE(subject_matches(join_dots(tail), topic)) << join_dots(tail) << " vs " << topic;
    }
    EXPECT_FALSE(subject_matches(topic + ".*", topic)) << topic;
    EXPECT_FALSE(subject_matches(topic + ".>", topic)) << topic;
  }
}

}  // namespace
}  // namespace anarq::bus
