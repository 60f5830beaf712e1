// The docs stand alone: every relative Markdown link in the repository (and
// every #anchor into a Markdown file, by GitHub's heading slugs) resolves to a
// file inside the repository, and docs/errors.md lists every error code the
// node can answer — the standard's (core/status.cc) and every code a module or
// transport makes with Status::custom — with its HTTP status and retryable flag.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/status.h"

namespace anarq::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// ---------------------------------------------------------------- GitHub slugs

// Decodes one UTF-8 code point at s[i] (advancing i); U+FFFD for a bad byte.
char32_t next_code_point(const std::string& s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
  if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(extra) + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Letters of the scripts our docs could use; punctuation and symbols (dashes,
// arrows, ×, ≤, emoji) are not letters and github-slugger drops them.
bool is_letter(char32_t cp) {
  if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;
  return (cp >= 0x370 && cp <= 0x3FF && cp != 0x37E && cp != 0x387) || (cp >= 0x400 && cp <= 0x52F) ||
         (cp >= 0x3040 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF);
}

// The rendered text of a heading: code spans keep their content, links their
// text, emphasis markers and HTML tags go.
std::string heading_text(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '`' || c == '*') continue;
    if (c == '<') {
      size_t close = s.find('>', i);
      if (close != std::string::npos) {
        i = close;
        continue;
      }
    }
    if (c == '!' && i + 1 < s.size() && s[i + 1] == '[') continue;
    if (c == '[') continue;
    if (c == ']' && i + 1 < s.size() && s[i + 1] == '(') {
      size_t close = s.find(')', i);
      if (close != std::string::npos) {
        i = close;
        continue;
      }
    }
    out += c;
  }
  return trim(out);
}

// github-slugger (what GitHub uses for heading anchors): lower case, drop
// everything but letters, digits, '_', '-' and spaces, spaces become '-'.
std::string github_slug(const std::string& heading) {
  std::string text = heading_text(heading), out;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = next_code_point(text, i);
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') out += c;
      else if (c == ' ') out += '-';
    } else if (is_letter(cp)) {
      if (cp >= 0xC0 && cp <= 0xDE) cp += 0x20;  // Latin-1 upper case
      append_utf8(out, cp);
    }
  }
  return out;
}

// ---------------------------------------------------------------- Markdown

struct Link {
  int line;
  std::string target;
};

struct MarkdownFile {
  std::vector<Link> links;
  std::set<std::string> anchors;
};

// Replaces code spans with a placeholder: what is inside is not a link.
std::string without_code_spans(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size();) {
    if (line[i] != '`') {
      out += line[i++];
      continue;
    }
    size_t run = line.find_first_not_of('`', i) - i;
    if (i + run >= line.size()) break;
    std::string fence(run, '`');
    size_t close = line.find(fence, i + run);
    while (close != std::string::npos && close + run < line.size() && line[close + run] == '`')
      close = line.find(fence, line.find_first_not_of('`', close));
    if (close == std::string::npos) {  // an unmatched backtick is literal
      out += line.substr(i, run);
      i += run;
      continue;
    }
    out += "code";
    i = close + run;
  }
  return out;
}

// Inline links and images: [text](target "title") or [text](<target>).
void inline_links(const std::string& line, int number, std::vector<Link>& out) {
  for (size_t i = line.find("]("); i != std::string::npos; i = line.find("](", i + 1)) {
    size_t start = i + 2;
    while (start < line.size() && line[start] == ' ') ++start;
    std::string target;
    if (start < line.size() && line[start] == '<') {
      size_t close = line.find('>', start);
      if (close == std::string::npos) continue;
      target = line.substr(start + 1, close - start - 1);
    } else {
      int depth = 0;
      size_t j = start;
      for (; j < line.size(); ++j) {
        char c = line[j];
        if (c == ' ' || (c == ')' && depth == 0)) break;
        if (c == '(') ++depth;
        if (c == ')') --depth;
      }
      target = line.substr(start, j - start);
    }
    if (!target.empty()) out.push_back({number, target});
  }
}

bool is_paragraph_line(const std::string& line) {
  std::string t = trim(line);
  if (t.empty()) return false;
  char c = t[0];
  return c != '|' && c != '#' && c != '-' && c != '*' && c != '>' && c != '+' && c != '<' && !(c >= '0' && c <= '9');
}

MarkdownFile parse_markdown(const std::string& text) {
  MarkdownFile md;
  std::map<std::string, int> seen;
  auto add_heading = [&](const std::string& h) {
    std::string slug = github_slug(h);
    int n = seen[slug]++;
    md.anchors.insert(n == 0 ? slug : slug + "-" + std::to_string(n));
  };
  auto lines = lines_of(text);
  std::string fence;  // the open code fence, empty outside one
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& raw = lines[i];
    std::string t = trim(raw);
    if (!fence.empty()) {
      if (t.rfind(fence, 0) == 0 && t.find_first_not_of(fence[0]) == std::string::npos) fence.clear();
      continue;
    }
    if (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0) {
      fence = t.substr(0, t.find_first_not_of(t[0]) == std::string::npos ? t.size() : t.find_first_not_of(t[0]));
      continue;
    }
    int number = static_cast<int>(i) + 1;
    std::string line = without_code_spans(raw);
    // Headings: ATX (# ...) and setext (text over === or ---).
    size_t hashes = t.find_first_not_of('#');
    if (hashes >= 1 && hashes <= 6 && hashes != std::string::npos && t[hashes] == ' ') {
      std::string h = trim(t.substr(hashes));
      size_t closing = h.find_last_not_of('#');
      if (closing != std::string::npos && closing + 1 < h.size() && h[closing] == ' ') h = trim(h.substr(0, closing));
      add_heading(h);
    } else if (i + 1 < lines.size() && is_paragraph_line(raw)) {
      std::string u = trim(lines[i + 1]);
      if (!u.empty() && (u.find_first_not_of('=') == std::string::npos ||
                         (u.size() >= 2 && u.find_first_not_of('-') == std::string::npos)))
        add_heading(t);
    }
    // Explicit anchors: <a id="x"> or <a name="x">.
    for (const char* attr : {"id=\"", "name=\""}) {
      for (size_t p = raw.find(std::string("<a ")); p != std::string::npos; p = raw.find("<a ", p + 1)) {
        size_t a = raw.find(attr, p);
        size_t end = raw.find('>', p);
        if (a == std::string::npos || a > end) continue;
        size_t v = a + std::string(attr).size();
        md.anchors.insert(raw.substr(v, raw.find('"', v) - v));
      }
    }
    inline_links(line, number, md.links);
    // Reference definitions: [label]: target
    if (t.size() > 2 && t[0] == '[') {
      size_t close = t.find("]:");
      if (close != std::string::npos && close > 1) {
        std::string target = trim(t.substr(close + 2));
        target = target.substr(0, target.find(' '));
        if (!target.empty() && target.front() == '<' && target.back() == '>') target = target.substr(1, target.size() - 2);
        if (!target.empty()) md.links.push_back({number, target});
      }
    }
  }
  return md;
}

std::optional<std::string> percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

bool has_scheme(const std::string& t) {
  size_t colon = t.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = t[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return std::isalpha(static_cast<unsigned char>(t[0])) != 0;
}

bool skipped_dir(const fs::path& root, const fs::path& dir) {
  std::string name = dir.filename().string();
  if (name.empty() || name[0] == '.' || name == "node_modules") return true;
  return dir.parent_path() == root && (name == "build" || name.rfind("build-", 0) == 0 || name == "data");
}

std::vector<fs::path> markdown_files(const fs::path& root) {
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && skipped_dir(root, it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".md") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every problem with the relative links of the Markdown files under root, as
// "file:line: target: why".
std::vector<std::string> dead_links(const fs::path& root_in) {
  const fs::path root = fs::weakly_canonical(root_in);
  std::vector<std::string> problems;
  std::map<fs::path, MarkdownFile> parsed;
  auto parse = [&](const fs::path& p) -> const MarkdownFile& {
    auto it = parsed.find(p);
    if (it == parsed.end()) it = parsed.emplace(p, parse_markdown(read_file(p))).first;
    return it->second;
  };
  for (const fs::path& file : markdown_files(root)) {
    std::string where = file.lexically_relative(root).string();
    for (const Link& link : parse(file).links) {
      auto fail = [&](const std::string& why) {
        problems.push_back(where + ":" + std::to_string(link.line) + ": " + link.target + ": " + why);
      };
      const std::string& t = link.target;
      if (has_scheme(t) || t.rfind("//", 0) == 0) continue;  // an absolute URL: not ours to check offline
      if (t[0] == '/') {
        fail("an absolute path; link relative to this file");
        continue;
      }
      size_t hash = t.find('#');
      std::string path_part = t.substr(0, std::min(hash, t.find('?')));
      std::string fragment = hash == std::string::npos ? "" : t.substr(hash + 1);
      auto decoded = percent_decode(path_part);
      if (!decoded) {
        fail("malformed percent-encoding");
        continue;
      }
      fs::path target = path_part.empty() ? file : (file.parent_path() / *decoded).lexically_normal();
      fs::path rel = target.lexically_relative(root);
      if (rel.empty() || *rel.begin() == "..") {
        fail("points outside the repository");
        continue;
      }
      if (!fs::exists(target)) {
        fail("no such file");
        continue;
      }
      if (fragment.empty() || target.extension() != ".md" || !fs::is_regular_file(target)) continue;
      auto anchor = percent_decode(fragment);
      if (!anchor || !parse(target).anchors.count(*anchor)) fail("no heading with the anchor #" + fragment);
    }
  }
  return problems;
}

// ANARQ_DOCS_ROOT checks another tree (an older checkout, a release tarball).
const fs::path kRoot = std::getenv("ANARQ_DOCS_ROOT") ? std::getenv("ANARQ_DOCS_ROOT") : ANARQ_SOURCE_DIR;

TEST(DocsTest, SlugsFollowGitHub) {
  EXPECT_EQ(github_slug("3. Signed requests"), "3-signed-requests");
  EXPECT_EQ(github_slug("10. LockSig — what a signature covers"), "10-locksig--what-a-signature-covers");
  EXPECT_EQ(github_slug("HTTP: anarq `GET /health` vs nginx `return 200` (issue 2)"),
            "http-anarq-get-health-vs-nginx-return-200-issue-2");
  EXPECT_EQ(github_slug("Events: publish → deliver (issue 4)"), "events-publish--deliver-issue-4");
  EXPECT_EQ(github_slug("Server-Sent Events: the wire format"), "server-sent-events-the-wire-format");
  EXPECT_EQ(github_slug("snake_case and [a link](x.md) *here*"), "snake_case-and-a-link-here");
  EXPECT_EQ(github_slug("Über Café"), "über-café");
}

TEST(DocsTest, TheCheckerFindsDeadLinksAnchorsAndEscapes) {
  fs::path dir = fs::temp_directory_path() / ("anarq-docs-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "docs");
  std::ofstream(dir / "README.md") << "# Top\n\n[ok](docs/a.md#two-words) [dead](docs/missing.md)\n"
                                   << "[escape](../outside.md) [bad anchor](docs/a.md#nope) [web](https://example.com/x)\n"
                                   << "`[in code](nowhere.md)`\n\n```\n[in a fence](nowhere.md)\n# not a heading\n```\n"
                                   << "[self](#top) [abs](/docs/a.md)\n\n[ref]: docs/gone.md\n";
  std::ofstream(dir / "docs" / "a.md") << "# A\n\n## Two words\n\n[back](../README.md#top) [dup](#a-1)\n\n## A\n";
  auto problems = dead_links(dir);
  fs::remove_all(dir);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_EQ(problems.size(), 5u) << all;
  EXPECT_NE(all.find("README.md:3: docs/missing.md: no such file"), std::string::npos) << all;
  EXPECT_NE(all.find("README.md:4: ../outside.md: points outside the repository"), std::string::npos) << all;
  EXPECT_NE(all.find("README.md:4: docs/a.md#nope: no heading"), std::string::npos) << all;
  EXPECT_NE(all.find("README.md:11: /docs/a.md: an absolute path"), std::string::npos) << all;
  EXPECT_NE(all.find("README.md:13: docs/gone.md: no such file"), std::string::npos) << all;
}

TEST(DocsTest, EveryRelativeLinkResolvesInsideTheRepository) {
  auto files = markdown_files(kRoot);
  ASSERT_GT(files.size(), 5u);
  for (const char* must : {"README.md", "docs/standards.md", "docs/errors.md", "docs/events.md"})
    EXPECT_TRUE(fs::exists(kRoot / must)) << must;
  for (const auto& p : dead_links(kRoot)) ADD_FAILURE() << p;
}

// ---------------------------------------------------------------- error codes

struct CodeInfo {
  int http = 0;
  bool retryable = false;
  std::string where;
};

// `| \`CODE\` | 404 | no | ...` rows of docs/errors.md.
std::map<std::string, CodeInfo> documented_codes() {
  std::map<std::string, CodeInfo> out;
  auto lines = lines_of(read_file(kRoot / "docs" / "errors.md"));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(l.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(trim(cell));
    if (cells.size() < 5 || cells[0].size() < 3 || cells[0].back() != '`') continue;
    std::string code = cells[0].substr(1, cells[0].size() - 2);
    CodeInfo c;
    c.http = std::atoi(cells[1].c_str());
    c.retryable = cells[2] == "yes";
    c.where = "docs/errors.md:" + std::to_string(i + 1);
    EXPECT_TRUE(cells[2] == "yes" || cells[2] == "no") << c.where << ": retryable is yes or no";
    EXPECT_FALSE(cells[3].empty()) << c.where << ": " << code << " needs a meaning";
    EXPECT_FALSE(cells[4].empty()) << c.where << ": " << code << " needs who answers it (or —)";
    EXPECT_TRUE(out.emplace(code, c).second) << c.where << ": " << code << " listed twice";
  }
  return out;
}

bool is_code_name(const std::string& s) {
  return !s.empty() && s[0] >= 'A' && s[0] <= 'Z' && s.find('_') != std::string::npos &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

// The standard's codes: the rows of core/status.cc's table, each checked
// against the compiled table (info()), so a parse slip cannot hide a code.
std::map<std::string, CodeInfo> standard_codes() {
  std::map<std::string, CodeInfo> out;
  const std::string text = read_file(kRoot / "core" / "status.cc");
  for (size_t p = text.find("Row{ErrorCode::"); p != std::string::npos; p = text.find("Row{ErrorCode::", p + 1)) {
    size_t q = text.find("{\"", p);
    size_t end = text.find('"', q + 2);
    std::string name = text.substr(q + 2, end - q - 2);
    if (name == "OK") continue;
    auto code = error_code_from_name(name);
    EXPECT_TRUE(code.has_value()) << name << " is in core/status.cc but error_code_from_name does not know it";
    if (!code) continue;
    const ErrorCodeInfo& i = info(*code);
    out[name] = {i.http, i.retryable, "core/status.cc"};
  }
  return out;
}

// Codes the code makes with Status::custom("CODE", http, retryable, ...).
std::map<std::string, CodeInfo> custom_codes() {
  std::map<std::string, CodeInfo> out;
  for (const char* layer : {"app", "bus", "core", "crypto", "ipld", "modules", "pipeline", "runtime", "store", "transport"}) {
    if (!fs::exists(kRoot / layer)) continue;
    for (const auto& e : fs::recursive_directory_iterator(kRoot / layer)) {
      const fs::path& p = e.path();
      std::string name = p.filename().string();
      if (!e.is_regular_file() || (p.extension() != ".cc" && p.extension() != ".h") || name.ends_with("_test.cc")) continue;
      const std::string text = read_file(p);
      const std::string call = "Status::custom(";
      for (size_t at = text.find(call); at != std::string::npos; at = text.find(call, at + 1)) {
        size_t i = text.find_first_not_of(" \t\r\n", at + call.size());
        if (i == std::string::npos || text[i] != '"') continue;  // a code passed through (store/pins.cc)
        size_t end = text.find('"', i + 1);
        std::string code = text.substr(i + 1, end - i - 1);
        std::string where = p.lexically_relative(kRoot).string() + ":" +
                            std::to_string(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 1);
        EXPECT_TRUE(is_code_name(code)) << where << ": '" << code << "' is not an UPPER_SNAKE code";
        // The next two arguments: the HTTP status and the retryable flag, when literal.
        CodeInfo c{0, false, where};
        size_t comma = text.find(',', end);
        size_t comma2 = comma == std::string::npos ? comma : text.find(',', comma + 1);
        size_t comma3 = comma2 == std::string::npos ? comma2 : text.find_first_of(",)", comma2 + 1);
        if (comma3 != std::string::npos) {
          std::string http = trim(text.substr(comma + 1, comma2 - comma - 1));
          std::string retry = trim(text.substr(comma2 + 1, comma3 - comma2 - 1));
          if (http.size() == 3 && std::all_of(http.begin(), http.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) c.http = std::stoi(http);
          c.retryable = retry == "true";
          if (retry != "true" && retry != "false") c.http = 0;  // not literal: presence is all we can check
        }
        auto [it, fresh] = out.emplace(code, c);
        if (!fresh && c.http && it->second.http) {
          EXPECT_TRUE(it->second.http == c.http && it->second.retryable == c.retryable)
              << code << " is made with different HTTP status or retryable flag at " << it->second.where << " and " << where;
        }
      }
    }
  }
  return out;
}

TEST(DocsTest, ErrorCodesAreDocumented) {
  auto documented = documented_codes();
  auto standard = standard_codes();
  auto custom = custom_codes();
  ASSERT_GE(standard.size(), 25u);
  ASSERT_GE(custom.size(), 15u) << "the scan of Status::custom found too little";
  for (const auto* source : {&standard, &custom}) {
    for (const auto& [code, c] : *source) {
      auto it = documented.find(code);
      if (it == documented.end()) {
        ADD_FAILURE() << code << " (" << c.where << ") is missing from docs/errors.md";
        continue;
      }
      if (!c.http) continue;
      EXPECT_EQ(it->second.http, c.http) << code << ": docs/errors.md says " << it->second.http << ", " << c.where
                                         << " answers " << c.http;
      EXPECT_EQ(it->second.retryable, c.retryable) << code << ": the retryable flag differs from " << c.where;
    }
  }
  for (const auto& [code, d] : documented)
    EXPECT_TRUE(standard.count(code) || custom.count(code))
        << d.where << ": " << code << " is documented but no code makes it (remove the row or the code is gone)";
}

}  // namespace
}  // namespace anarq::test
