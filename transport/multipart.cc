#include "transport/multipart.h"

#include <algorithm>
#include <cctype>

#include "transport/router.h"

namespace anarq {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` in a header like: form-data; name="file"; filename="a b.txt"
std::string header_param(std::string_view header, std::string_view param) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) return "";
    pos = semi + 1;
    std::string_view rest = trim(header.substr(pos));
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return "";
    if (lower(trim(rest.substr(0, eq))) != param) continue;
    std::string_view value = trim(rest.substr(eq + 1));
    if (!value.empty() && value.front() == '"') {
      std::string out;
      for (size_t i = 1; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) out += value[++i];
        else if (value[i] == '"') break;
        else out += value[i];
      }
      return out;
    }
    size_t end = value.find(';');
    return std::string(trim(value.substr(0, end)));
  }
  return "";
}

}  // namespace

Result<std::string> multipart_boundary(std::string_view content_type) {
  std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type.rfind("multipart/", 0) != 0)
    return Status::validation("expected a multipart/form-data body, got Content-Type '" + std::string(content_type) + "'");
  std::string b = header_param(content_type, "boundary");
  if (b.empty() || b.size() > 70) return Status::validation("multipart Content-Type needs a boundary of 1-70 characters");
  return b;
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary) {
  const std::string delim = "--" + std::string(boundary);
  std::vector<MultipartPart> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos || (pos != 0 && (pos < 2 || body.substr(pos - 2, 2) != "\r\n")))
    return Status::validation("multipart body does not start with its boundary");
  pos += delim.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    // Transport padding, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return Status::validation("malformed multipart delimiter line");
    pos += 2;
    size_t head_end = body.find("\r\n\r\n", pos);
    // A part with no headers starts with the blank line at once.
    bool no_headers = body.substr(pos, 2) == "\r\n";
    if (!no_headers && (head_end == std::string_view::npos || head_end - pos > kMaxPartHeaderBytes))
      return Status::validation("multipart part headers are truncated or exceed 8 KiB");
    MultipartPart part;
    part.content_type = "text/plain";
    std::string_view head = no_headers ? std::string_view() : body.substr(pos, head_end - pos);
    pos = no_headers ? pos + 2 : head_end + 4;
    size_t line_start = 0;
    while (line_start < head.size()) {
      size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = head.size();
      std::string_view line = head.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Status::validation("malformed multipart part header");
      std::string name = lower(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        part.name = header_param(value, "name");
        auto fname = percent_decode(header_param(value, "filename"), false);
        part.filename = fname ? *fname : header_param(value, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    size_t end = body.find("\r\n" + delim, pos);
    if (end == std::string_view::npos) return Status::validation("multipart body is truncated: closing boundary missing");
    part.data = body.substr(pos, end - pos);
    parts.push_back(std::move(part));
    if (parts.size() > kMaxMultipartParts) return Status::validation("too many multipart parts");
    pos = end + 2 + delim.size();
  }
}

}  // namespace anarq
