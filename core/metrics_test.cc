#include "core/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace anarq {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersCountersWithEscapedLabels) {
  Metrics m;
  m.inc("x_total", "Things.", {{"tool", "a\"b\\c\nd"}});
  m.inc("x_total", "Things.", {{"tool", "a\"b\\c\nd"}}, 2);
  std::string text = m.render();
  EXPECT_THAT(text, HasSubstr("# HELP x_total Things.\n# TYPE x_total counter\n"));
  EXPECT_THAT(text, HasSubstr("x_total{tool=\"a\\\"b\\\\c\\nd\"} 3\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  std::vector<double> b = {1, 2};
  m.observe("h_seconds", "H.", {}, 0.5, b);
  m.observe("h_seconds", "H.", {}, 1.5, b);
  m.observe("h_seconds", "H.", {}, 9, b);
  std::string text = m.render();
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{le=\"2\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_sum 11\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_count 3\n"));
}

TEST(MetricsTest, GaugesAreSet) {
  Metrics m;
  m.set("g", "G.", {}, 1.25);
  m.set("g", "G.", {}, 2.5);
  EXPECT_THAT(m.render(), HasSubstr("g 2.5\n"));
}

}  // namespace
}  // namespace anarq
