#include "transport/ipfs_http.h"

#include <charconv>
#include <cstring>
#include <map>
#include <memory>

#include "core/clock.h"
#include "core/json.h"
#include "ipld/car.h"
#include "ipld/car_stream.h"
#include "ipld/dag_cbor.h"
#include "ipld/dag_pb.h"
#include "ipld/importer.h"
#include "ipld/multicodec.h"
#include "pipeline/pipeline.h"
#include "store/content.h"
#include "transport/multipart.h"
#include "transport/router.h"

namespace anarq {
namespace {

using Params = std::multimap<std::string, std::string>;

Result<Params> parse_params(const std::string& query) {
  auto pairs = parse_query(query, 256);
  if (!pairs.ok()) return pairs.status();
  return Params(std::make_move_iterator(pairs->begin()), std::make_move_iterator(pairs->end()));
}

std::string param(const Params& p, const std::string& name, const std::string& dflt = "") {
  auto it = p.find(name);
  return it == p.end() ? dflt : it->second;
}

Result<bool> bool_param(const Params& p, const std::string& name, bool dflt) {
  auto it = p.find(name);
  if (it == p.end()) return dflt;
  if (it->second == "true" || it->second == "1" || it->second.empty()) return true;
  if (it->second == "false" || it->second == "0") return false;
  return Status::validation("argument '" + name + "' must be true or false, got '" + it->second + "'");
}

Result<uint64_t> uint_param(const Params& p, const std::string& name, uint64_t dflt) {
  auto it = p.find(name);
  if (it == p.end()) return dflt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size())
    return Status::validation("argument '" + name + "' must be a non-negative integer");
  return v;
}

// Kubo's `arg` may be "/ipfs/<cid>" or "<cid>".
Result<ipld::Cid> cid_arg(const std::string& arg) {
  if (arg.empty()) return Status::validation("argument 'arg' is required");
  std::string_view s = arg;
  if (s.substr(0, 6) == "/ipfs/") s.remove_prefix(6);
  if (s.find('/') != std::string_view::npos)
    return Status::validation("paths inside a DAG are not supported yet: '" + arg + "'");
  auto cid = ipld::Cid::parse(s);
  if (!cid.ok()) return Status::validation("invalid CID '" + std::string(s.substr(0, 128)) + "': " + cid.status().message());
  return cid;
}

HttpResponse json(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = dump_compact(body);
  return r;
}

HttpResponse error(const Status& s, const std::string& rid, bool kubo) {
  Json env = error_envelope(s, rid, SystemClock::instance().now_ms());
  if (kubo) {  // what Kubo clients read
    env["Message"] = s.message();
    env["Code"] = 0;
    env["Type"] = "error";
  }
  HttpResponse r = json(s.http_status(), env);
  r.headers.emplace_back("x-request-id", rid);
  return r;
}

HttpResponse ndjson(const std::vector<Json>& lines) {
  HttpResponse r;
  r.content_type = "application/json";
  for (const auto& l : lines) r.body += dump_compact(l) + "\n";
  r.headers.emplace_back("X-Chunked-Output", "1");
  return r;
}

bool is_loopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" || addr.rfind("::ffff:127.", 0) == 0;
}

// Files from a multipart body: every part that carries data (Kubo clients name
// them "file"); directory parts are refused.
Result<std::vector<MultipartPart>> file_parts(const HttpRequest& req) {
  auto ct = req.headers.find("content-type");
  if (ct == req.headers.end()) return Status::validation("expected a multipart/form-data body");
  auto boundary = multipart_boundary(ct->second);
  if (!boundary.ok()) return boundary.status();
  auto parts = parse_multipart(req.body, *boundary);
  if (!parts.ok()) return parts.status();
  std::vector<MultipartPart> files;
  for (auto& p : *parts) {
    if (p.content_type == "application/x-directory")
      return Status::validation("directories are not supported by this node's add yet");
    files.push_back(p);
  }
  if (files.empty()) return Status::validation("the multipart body holds no file");
  return files;
}

Result<AddOptions> add_options(const Params& p) {
  AddOptions o;
  auto v = uint_param(p, "cid-version", 0);
  if (!v.ok()) return v.status();
  if (*v > 1) return Status::validation("cid-version must be 0 or 1");
  // Kubo: CIDv1 implies raw leaves unless raw-leaves says otherwise.
  auto raw = bool_param(p, "raw-leaves", *v == 1);
  if (!raw.ok()) return raw.status();
  if (*v == 1 && !*raw) return Status::validation("cid-version=1 without raw leaves is not supported");
  if (*v == 0 && *raw) return Status::validation("raw-leaves needs cid-version=1 on this node");
  o.import.mode = *v == 1 ? ipld::CidMode::kCidV1RawLeaves : ipld::CidMode::kCidV0;
  auto chunk = ipld::parse_chunker(param(p, "chunker", "size-262144"));
  if (!chunk.ok()) return chunk.status();
  o.import.chunk_size = *chunk;
  auto pin = bool_param(p, "pin", true);
  if (!pin.ok()) return pin.status();
  o.pin = *pin;
  auto only = bool_param(p, "only-hash", false);
  if (!only.ok()) return only.status();
  o.only_hash = *only;
  return o;
}

// A pull stream over a UnixFS file range.
BodyStream file_stream(std::shared_ptr<ipld::FileReader> reader) {
  return [reader](std::string& chunk) { return reader->next(chunk); };
}

struct Range {
  uint64_t offset = 0, length = 0;
};

// RFC 9110 single byte range; nullopt = ignore (serve the whole file); error = 416.
Result<std::optional<Range>> parse_range(const std::string& header, uint64_t size) {
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos) return std::optional<Range>();
  std::string spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return std::optional<Range>();
  auto num = [](const std::string& s, uint64_t& v) {
    auto [e, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && e == s.data() + s.size();
  };
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last y bytes
    if (!num(b, y) || y == 0) return Status::custom("RANGE_NOT_SATISFIABLE", 416, false, "unsatisfiable range " + header);
    y = std::min(y, size);
    return std::optional<Range>(Range{size - y, y});
  }
  if (!num(a, x)) return std::optional<Range>();
  if (x >= size) return Status::custom("RANGE_NOT_SATISFIABLE", 416, false, "range starts past the end of the file");
  if (b.empty()) return std::optional<Range>(Range{x, size - x});
  if (!num(b, y) || y < x) return std::optional<Range>();
  return std::optional<Range>(Range{x, std::min(y, size - 1) - x + 1});
}

}  // namespace

bool IpfsHttp::owns(const std::string& path) {
  return path.rfind("/api/v0/", 0) == 0 || path.rfind("/ipfs/", 0) == 0;
}

std::string IpfsHttp::route_label(const std::string& path) {
  static const char* const kCommands[] = {"add", "cat", "block/get", "block/put", "block/stat", "dag/export", "dag/import",
                                          "pin/add", "pin/rm", "pin/ls", "repo/gc", "version", "id", "refs"};
  if (path.rfind("/ipfs/", 0) == 0) return "/ipfs/{cid}";
  for (const char* c : kCommands)
    if (path == std::string("/api/v0/") + c) return path;
  return "/api/v0/{other}";
}

HttpResponse IpfsHttp::handle(HttpRequest& req, const std::string& path, const std::string& query, const std::string& rid) {
  if (path.rfind("/api/v0/", 0) == 0) {
    if (!options_.rpc_allow_remote && !is_loopback(req.remote_addr))
      return error(Status(ErrorCode::kQonsentDenied, "the Kubo RPC API is an admin surface: loopback callers only"), rid, true);
    if (req.method != "POST") {
      HttpResponse r = error(Status(ErrorCode::kMethodNotAllowed, "Kubo RPC commands take POST"), rid, true);
      r.headers.emplace_back("allow", "POST");
      return r;
    }
    return rpc(req, path.substr(8), query, rid);
  }
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = error(Status(ErrorCode::kMethodNotAllowed, "the gateway answers GET and HEAD"), rid, false);
    r.headers.emplace_back("allow", "GET, HEAD");
    return r;
  }
  return gateway(req, path, query, rid);
}

HttpResponse IpfsHttp::rpc(HttpRequest& req, const std::string& cmd, const std::string& query, const std::string& rid) {
  auto params = parse_params(query);
  if (!params.ok()) return error(params.status(), rid, true);
  const Params& p = *params;
  auto fail = [&](const Status& s) { return error(s, rid, true); };

  if (cmd == "version")
    return json(200, {{"Version", options_.version}, {"Commit", options_.git_rev}, {"Repo", "anarq-1"},
                      {"System", "amd64/linux"}, {"Golang", "n/a (anarq " + options_.version + ")"}});
  if (cmd == "id")
    return json(200, {{"ID", options_.peer_id}, {"PublicKey", options_.public_key_b64}, {"Addresses", Json::array()},
                      {"AgentVersion", "anarq/" + options_.version}, {"ProtocolVersion", "ipfs/0.1.0"},
                      {"Protocols", Json::array()}});
  if (cmd == "add") {
    auto opts = add_options(p);
    if (!opts.ok()) return fail(opts.status());
    auto files = file_parts(req);
    if (!files.ok()) return fail(files.status());
    std::vector<Json> lines;
    for (const auto& f : *files) {
      auto added = content_.add_bytes(f.data, *opts);
      if (!added.ok()) return fail(added.status());
      std::string name = f.filename.empty() ? added->cid.to_string() : f.filename;
      lines.push_back({{"Name", name}, {"Hash", added->cid.to_string()}, {"Size", std::to_string(added->dag_size)}});
    }
    return ndjson(lines);
  }
  if (cmd == "cat") {
    auto cid = cid_arg(param(p, "arg"));
    if (!cid.ok()) return fail(cid.status());
    auto offset = uint_param(p, "offset", 0);
    auto length = uint_param(p, "length", UINT64_MAX);
    if (!offset.ok()) return fail(offset.status());
    if (!length.ok()) return fail(length.status());
    auto reader = content_.open_file(*cid);
    if (!reader.ok()) return fail(reader.status());
    auto shared = std::make_shared<ipld::FileReader>(std::move(*reader));
    shared->seek(*offset, *length);
    uint64_t begin = std::min(*offset, shared->size());
    HttpResponse r;
    r.content_type = "text/plain";
    r.stream = file_stream(shared);
    r.stream_length = static_cast<int64_t>(std::min(*length, shared->size() - begin));
    r.headers.emplace_back("X-Stream-Output", "1");
    return r;
  }
  if (cmd == "block/get") {
    auto cid = cid_arg(param(p, "arg"));
    if (!cid.ok()) return fail(cid.status());
    auto block = content_.blocks().get(*cid);
    if (!block.ok()) return fail(block.status());
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = std::move(*block);
    return r;
  }
  if (cmd == "block/stat") {
    auto cid = cid_arg(param(p, "arg"));
    if (!cid.ok()) return fail(cid.status());
    auto size = content_.blocks().size(*cid);
    if (!size.ok()) return fail(size.status());
    return json(200, {{"Key", cid->to_string()}, {"Size", *size}});
  }
  if (cmd == "block/put") {
    std::string codec_name = param(p, "cid-codec", "");
    std::string format = param(p, "format", "");
    uint64_t codec = ipld::kCodecRaw;
    bool v0 = false;
    if (!codec_name.empty()) {
      auto c = ipld::multicodec_code(codec_name);
      if (!c) return fail(Status::validation("unknown cid-codec '" + codec_name + "'"));
      codec = *c;
    } else if (format == "v0") {
      codec = ipld::kCodecDagPb;
      v0 = true;
    } else if (format == "cbor" || format == "dag-cbor") {
      codec = ipld::kCodecDagCbor;
    } else if (!format.empty() && format != "raw") {
      return fail(Status::validation("unknown format '" + format + "'"));
    }
    std::string mh = param(p, "mhtype", "sha2-256");
    if (mh != "sha2-256") return fail(Status::validation("only mhtype=sha2-256 is supported"));
    auto files = file_parts(req);
    if (!files.ok()) return fail(files.status());
    if (files->size() != 1) return fail(Status::validation("block/put takes exactly one block"));
    std::string_view data = (*files)[0].data;
    // Only blocks that parse as their codec are stored: GC and exports must be
    // able to follow their links, and a non-canonical encoding is refused.
    if (codec == ipld::kCodecDagCbor) {
      if (auto d = ipld::dag_cbor_decode(data); !d.ok()) return fail(d.status());
    } else if (codec == ipld::kCodecDagPb) {
      if (auto d = ipld::dag_pb_decode(data); !d.ok()) return fail(d.status());
    } else if (codec != ipld::kCodecRaw) {
      return fail(Status::validation("block/put stores raw, dag-pb and dag-cbor blocks"));
    }
    ipld::Cid cid = v0 ? ipld::Cid::v0_sha256(data) : ipld::Cid::v1_sha256(codec, data);
    auto pin = bool_param(p, "pin", false);
    if (!pin.ok()) return fail(pin.status());
    Status s = content_.blocks().put(cid, data);
    if (s.ok() && *pin) s = content_.pin(cid, /*recursive=*/false);
    if (!s.ok()) return fail(s);
    return json(200, {{"Key", cid.to_string()}, {"Size", data.size()}});
  }
  if (cmd == "pin/add" || cmd == "pin/rm") {
    auto cid = cid_arg(param(p, "arg"));
    if (!cid.ok()) return fail(cid.status());
    auto recursive = bool_param(p, "recursive", true);
    if (!recursive.ok()) return fail(recursive.status());
    Status s = cmd == "pin/add" ? content_.pin(*cid, *recursive) : content_.unpin(*cid);
    if (!s.ok()) return fail(s);
    return json(200, {{"Pins", {cid->to_string()}}});
  }
  if (cmd == "pin/ls") {
    std::string type = param(p, "type", "all");
    if (type != "all" && type != "recursive" && type != "direct" && type != "indirect")
      return fail(Status::validation("type must be all, recursive, direct or indirect"));
    auto stream = bool_param(p, "stream", false);
    if (!stream.ok()) return fail(stream.status());
    std::vector<std::pair<std::string, std::string>> found;  // cid, type
    if (p.count("arg")) {
      auto cid = cid_arg(param(p, "arg"));
      if (!cid.ok()) return fail(cid.status());
      auto pins = content_.pins().find(*cid);
      if (!pins.ok()) return fail(pins.status());
      if (pins->empty()) return fail(Status::not_found("path '" + cid->to_string() + "' is not pinned"));
      for (const auto& pin : *pins) found.emplace_back(pin.cid.to_string(), std::string(pin_kind_name(pin.kind)));
    } else if (type != "indirect") {
      Status s = content_.pins().for_each([&](const Pin& pin) {
        std::string kind(pin_kind_name(pin.kind));
        if (type == "all" || type == kind) found.emplace_back(pin.cid.to_string(), kind);
        return found.size() > 1'000'000 ? Status::validation("more than a million pins: page with pin ls --arg") : Status();
      });
      if (!s.ok()) return fail(s);
    }
    if (*stream) {
      std::vector<Json> lines;
      for (const auto& [c, t] : found) lines.push_back({{"Cid", c}, {"Type", t}});
      return ndjson(lines);
    }
    Json keys = Json::object();
    for (const auto& [c, t] : found) keys[c] = {{"Type", t}};
    return json(200, {{"Keys", keys}});
  }
  if (cmd == "dag/export") {
    auto cid = cid_arg(param(p, "arg"));
    if (!cid.ok()) return fail(cid.status());
    auto has = content_.blocks().has(*cid);
    if (!has.ok()) return fail(has.status());
    if (!*has) return fail(Status::not_found("block " + cid->to_string() + " is not stored here"));
    auto car = std::make_shared<ipld::CarStream>(std::vector<ipld::Cid>{*cid}, content_.getter());
    HttpResponse r;
    r.content_type = "application/vnd.ipld.car";
    r.stream = [car](std::string& chunk) { return car->next(chunk); };
    return r;
  }
  if (cmd == "dag/import") {
    auto pin_roots = bool_param(p, "pin-roots", true);
    if (!pin_roots.ok()) return fail(pin_roots.status());
    auto files = file_parts(req);
    if (!files.ok()) return fail(files.status());
    std::vector<Json> lines;
    auto source_of = [](std::string_view data) {
      return ipld::ByteSource([data, pos = size_t{0}](char* buf, size_t cap) mutable -> Result<size_t> {
        size_t n = std::min(cap, data.size() - pos);
        std::memcpy(buf, data.data() + pos, n);
        pos += n;
        return n;
      });
    };
    // All or nothing: every CAR of the request is read and verified (framing,
    // every block's hash) before a block is stored, so a rejected import
    // leaves nothing behind.
    for (const auto& f : *files) {
      auto checked = ipld::import_car(source_of(f.data), [](const ipld::Cid&, std::string_view) { return Status(); });
      if (!checked.ok()) return fail(checked.status());
    }
    for (const auto& f : *files) {
      auto guard = content_.pins().gc_lock().add_guard();
      // One batch: blocks written without fsync, made durable together.
      auto batch = content_.blocks().batch();
      auto imported = ipld::import_car(source_of(f.data), [&](const ipld::Cid& c, std::string_view b) {
        return batch->put(c, b, /*hashed=*/true);
      });
      if (!imported.ok()) return fail(imported.status());
      if (Status s = batch->commit(); !s.ok()) return fail(s);
      for (const auto& root : imported->roots) {
        std::string pin_error;
        if (*pin_roots) {
          Status s = content_.pins().pin(guard, root, /*recursive=*/true);
          if (!s.ok()) pin_error = s.message();
        }
        lines.push_back({{"Root", {{"Cid", {{"/", root.to_string()}}}, {"PinErrorMsg", pin_error}}}});
      }
    }
    return ndjson(lines);
  }
  if (cmd == "repo/gc") {
    auto report = content_.gc();
    if (!report.ok()) return fail(report.status());
    std::vector<Json> lines;
    for (const auto& c : report->removed) lines.push_back({{"Key", {{"/", c.to_string()}}}});
    HttpResponse r = ndjson(lines);
    r.headers.emplace_back("X-Anarq-Gc", "removed=" + std::to_string(report->blocks_removed) +
                                              " bytes=" + std::to_string(report->bytes_freed));
    return r;
  }
  return fail(Status(ErrorCode::kNotFound, "unknown command '" + cmd + "' (this node serves a Kubo RPC subset)")
                  .with_suggestion("see docs/content.md for the supported commands"));
}

HttpResponse IpfsHttp::gateway(HttpRequest& req, const std::string& path, const std::string& query, const std::string& rid) {
  auto params = parse_params(query);
  if (!params.ok()) return error(params.status(), rid, false);
  std::string rest = path.substr(6);
  if (rest.empty()) return error(Status::validation("GET /ipfs/{cid}: the CID is missing"), rid, false);
  auto cid = cid_arg(rest);
  if (!cid.ok()) return error(cid.status(), rid, false);
  std::string format = param(*params, "format");
  auto accept_it = req.headers.find("accept");
  std::string accept = accept_it == req.headers.end() ? "" : accept_it->second;
  if (format.empty()) {
    if (accept.find("application/vnd.ipld.raw") != std::string::npos) format = "raw";
    else if (accept.find("application/vnd.ipld.car") != std::string::npos) format = "car";
  }
  if (!format.empty() && format != "raw" && format != "car")
    return error(Status::validation("format must be raw or car"), rid, false);
  auto has = content_.blocks().has(*cid);
  if (!has.ok()) return error(has.status(), rid, false);
  if (!*has) return error(Status::not_found("block " + cid->to_string() + " is not stored on this node"), rid, false);
  const std::string etag_base = "\"" + cid->to_string();
  if (format == "raw") {
    auto block = content_.blocks().get(*cid);
    if (!block.ok()) return error(block.status(), rid, false);
    HttpResponse r;
    r.content_type = "application/vnd.ipld.raw";
    r.body = std::move(*block);
    r.headers.emplace_back("etag", etag_base + ".raw\"");
    r.headers.emplace_back("cache-control", "public, max-age=29030400, immutable");
    r.headers.emplace_back("x-content-type-options", "nosniff");
    r.headers.emplace_back("x-ipfs-path", "/ipfs/" + cid->to_string());
    r.headers.emplace_back("vary", "Accept");
    return r;
  }
  if (format == "car") {
    std::string scope = param(*params, "dag-scope", "all");
    if (scope != "all" && scope != "entity" && scope != "block")
      return error(Status::validation("dag-scope must be all, entity or block"), rid, false);
    // entity: a UnixFS file needs all its blocks; any other entity is its root block.
    bool follow = scope == "all";
    if (scope == "entity") {
      auto block = content_.blocks().get(*cid);
      if (!block.ok()) return error(block.status(), rid, false);
      auto info = ipld::unixfs_node_info(*cid, *block);
      follow = info.ok() && info->is_file;
    }
    auto car = std::make_shared<ipld::CarStream>(std::vector<ipld::Cid>{*cid}, content_.getter(), follow);
    HttpResponse r;
    r.content_type = "application/vnd.ipld.car; version=1; order=dfs; dups=n";
    r.stream = [car](std::string& chunk) { return car->next(chunk); };
    r.headers.emplace_back("etag", etag_base + ".car." + scope + "\"");
    r.headers.emplace_back("cache-control", "public, max-age=29030400, immutable");
    r.headers.emplace_back("x-content-type-options", "nosniff");
    r.headers.emplace_back("x-ipfs-path", "/ipfs/" + cid->to_string());
    r.headers.emplace_back("vary", "Accept");
    return r;
  }
  auto reader = content_.open_file(*cid);
  if (!reader.ok()) return error(reader.status(), rid, false);
  auto shared = std::make_shared<ipld::FileReader>(std::move(*reader));
  HttpResponse r;
  r.content_type = "application/octet-stream";
  uint64_t size = shared->size();
  auto range_it = req.headers.find("range");
  if (range_it != req.headers.end()) {
    auto range = parse_range(range_it->second, size);
    if (!range.ok()) {
      HttpResponse e = error(range.status(), rid, false);
      e.headers.emplace_back("content-range", "bytes */" + std::to_string(size));
      return e;
    }
    if (*range) {
      shared->seek((*range)->offset, (*range)->length);
      r.status = 206;
      r.headers.emplace_back("content-range", "bytes " + std::to_string((*range)->offset) + "-" +
                                                  std::to_string((*range)->offset + (*range)->length - 1) + "/" +
                                                  std::to_string(size));
      size = (*range)->length;
    }
  }
  r.stream = file_stream(shared);
  r.stream_length = static_cast<int64_t>(size);
  r.headers.emplace_back("accept-ranges", "bytes");
  r.headers.emplace_back("etag", etag_base + "\"");
  r.headers.emplace_back("cache-control", "public, max-age=29030400, immutable");
  r.headers.emplace_back("x-ipfs-path", "/ipfs/" + cid->to_string());
  if (size == 0) r.stream = nullptr;  // an empty file: a plain empty body
  return r;
}

}  // namespace anarq
