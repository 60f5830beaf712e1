#include "transport/multipart.h"

#include <gtest/gtest.h>

namespace anarq {
namespace {

TEST(MultipartTest, Boundary) {
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(multipart_boundary("application/json").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

TEST(MultipartTest, SplitsPartsAsKuboClientsSendThem) {
  std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"a%20b.txt\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n"
      "hello\r\nworld\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"empty\"\r\n\r\n"
      "\r\n"
      "--XyZ--\r\n";
  auto parts = parse_multipart(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "file");
  EXPECT_EQ((*parts)[0].filename, "a b.txt");
  EXPECT_EQ((*parts)[0].content_type, "application/octet-stream");
  EXPECT_EQ((*parts)[0].data, "hello\r\nworld");
  EXPECT_EQ((*parts)[1].data, "");
  EXPECT_EQ((*parts)[1].content_type, "text/plain");
}

TEST(MultipartTest, RefusesTruncatedAndMalformedBodies) {
  EXPECT_FALSE(parse_multipart("no boundary here", "b").ok());
  EXPECT_FALSE(parse_multipart("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata", "b").ok());
  EXPECT_FALSE(parse_multipart("--b\r\nContent-Disposition: form-data", "b").ok());
  EXPECT_FALSE(parse_multipart("--bjunk", "b").ok());
  EXPECT_FALSE(parse_multipart("--b\r\nNoColonHere\r\n\r\nx\r\n--b--", "b").ok());
  std::string big = "--b\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\nx\r\n--b--";
  EXPECT_FALSE(parse_multipart(big, "b").ok());
  EXPECT_TRUE(parse_multipart("--b--", "b").ok());
}

}  // namespace
}  // namespace anarq
