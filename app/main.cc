// anarq: the one binary. Commands: serve, mcp, call, tools, spec, version.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "app/node.h"
#include "app/remote_call.h"
#include "crypto/node_key.h"
#include "bus/catalog.h"
#include "core/fault.h"
#include "core/json.h"
#include "core/log.h"
#include "ipld/car.h"
#include "ipld/importer.h"
#include "transport/mcp_stdio.h"
#include "transport/specs.h"

#ifndef ANARQ_VERSION
#define ANARQ_VERSION "0.0.0"
#endif
#ifndef ANARQ_GIT_REV
#define ANARQ_GIT_REV "unknown"
#endif

namespace {

using anarq::Config;
using anarq::Json;
using anarq::Node;
using anarq::Status;

constexpr size_t kMaxCliInput = 16 << 20;
constexpr size_t kMaxMcpLine = 16 << 20;

int fail(const Status& s) {
  std::cerr << "anarq: " << s.to_string() << "\n";
  return s.code() == "VALIDATION_ERROR" ? 2 : 1;
}

// Flags override the environment, which overrides defaults.
struct Flags {
  std::string data_dir, listen, modules, log_level, allowed_origins;
  int threads = -1;
  int64_t max_body_bytes = -1;
  int read_timeout_ms = -1, idle_timeout_ms = -1, drain_timeout_ms = -1;

  void apply(Config& c) const {
    if (!data_dir.empty()) c.data_dir = data_dir;
    if (!listen.empty()) c.listen = listen;
    if (!modules.empty()) c.modules = anarq::split_list(modules);
    if (!log_level.empty()) c.log_level = log_level;
    if (!allowed_origins.empty()) c.allowed_origins = anarq::split_list(allowed_origins);
    if (threads >= 0) c.threads = threads;
    if (max_body_bytes >= 0) c.max_body_bytes = max_body_bytes;
    if (read_timeout_ms >= 0) c.read_timeout_ms = read_timeout_ms;
    if (idle_timeout_ms >= 0) c.idle_timeout_ms = idle_timeout_ms;
    if (drain_timeout_ms >= 0) c.drain_timeout_ms = drain_timeout_ms;
  }
};

struct ContentArgs {
  std::string add_path, cat_cid, chunker;
  int cid_version;
  bool no_pin, only_hash, quiet;
  uint64_t cat_offset, cat_length;
  std::string car_action, car_arg;
};

int run_content_command(CLI::App& app, Node& node, const ContentArgs& a) {
  anarq::ContentStore* cs = node.content();
  if (cs == nullptr) return fail(Status::internal("no content store"));
  constexpr size_t kBuf = 1 << 20;
  std::string buf(kBuf, '\0');
  if (app.got_subcommand("add")) {
    anarq::AddOptions o;
    o.import.mode = a.cid_version == 1 ? anarq::ipld::CidMode::kCidV1RawLeaves : anarq::ipld::CidMode::kCidV0;
    auto size = anarq::ipld::parse_chunker(a.chunker);
    if (!size.ok()) return fail(size.status());
    o.import.chunk_size = *size;
    o.pin = !a.no_pin;
    o.only_hash = a.only_hash;
    std::ifstream file;
    std::istream* in = &std::cin;
    if (a.add_path != "-") {
      file.open(a.add_path, std::ios::binary);
      if (!file) return fail(Status::not_found("cannot open " + a.add_path));
      in = &file;
    }
    auto writer = cs->add_file(o);
    if (!writer.ok()) return fail(writer.status());
    while (in->read(buf.data(), kBuf) || in->gcount() > 0) {
      if (Status s = (*writer)->write(std::string_view(buf.data(), static_cast<size_t>(in->gcount()))); !s.ok()) return fail(s);
    }
    if (in->bad()) return fail(Status::unavailable("read error on " + a.add_path));
    auto added = (*writer)->finish();
    if (!added.ok()) return fail(added.status());
    if (a.quiet) std::cout << added->cid.to_string() << "\n";
    else std::cout << "added " << added->cid.to_string() << " " << (a.add_path == "-" ? added->cid.to_string() : a.add_path) << "\n";
    return 0;
  }
  if (app.got_subcommand("cat")) {
    auto cid = anarq::ipld::Cid::parse(a.cat_cid);
    if (!cid.ok()) return fail(cid.status());
    auto reader = cs->open_file(*cid);
    if (!reader.ok()) return fail(reader.status());
    reader->seek(a.cat_offset, a.cat_length);
    std::string piece;
    for (;;) {
      auto more = reader->next(piece);
      if (!more.ok()) return fail(more.status());
      std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      if (!*more) break;
    }
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  if (app.got_subcommand("car")) {
    if (a.car_action == "export") {
      auto cid = anarq::ipld::Cid::parse(a.car_arg);
      if (!cid.ok()) return fail(cid.status());
      Status s = anarq::ipld::export_car({*cid}, cs->getter(), [](std::string_view bytes) {
        std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return std::cout ? Status() : Status::unavailable("cannot write to stdout");
      });
      std::cout.flush();
      return s.ok() ? 0 : fail(s);
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    if (a.car_arg != "-") {
      file.open(a.car_arg, std::ios::binary);
      if (!file) return fail(Status::not_found("cannot open " + a.car_arg));
      in = &file;
    }
    auto guard = cs->pins().gc_lock().add_guard();
    anarq::Blockstore& blocks = cs->blocks();
    auto imported = anarq::ipld::import_car(anarq::ipld::istream_source(*in),
                                            [&](const anarq::ipld::Cid& c, std::string_view b) { return blocks.put(c, b); });
    if (!imported.ok()) return fail(imported.status());
    for (const auto& root : imported->roots) {
      Status s = cs->pins().pin(guard, root, /*recursive=*/true);
      std::cout << "imported " << root.to_string() << (s.ok() ? " (pinned)" : " (not pinned: " + s.message() + ")") << "\n";
    }
    std::cout << imported->blocks << " blocks, " << imported->bytes << " bytes\n";
    return 0;
  }
  auto report = cs->gc();
  if (!report.ok()) return fail(report.status());
  std::cout << "removed " << report->blocks_removed << " blocks (" << report->bytes_freed << " bytes), kept "
            << report->blocks_kept << ", " << report->duration_ms << " ms\n";
  return 0;
}


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"anarq — the Q ecosystem in one binary: HTTP, MCP and events over self-sovereign data"};
  app.require_subcommand(1);
  Flags flags;
  app.add_option("--data-dir", flags.data_dir, "state directory (ANARQ_DATA_DIR, default ./data)");
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error|off (ANARQ_LOG_LEVEL)");
  app.add_option("--modules", flags.modules, "comma-separated modules to run (ANARQ_MODULES; default all)");
  std::string as_file;
  app.add_option("--as", as_file, "act as the identity in this key file (from `anarq id new`) instead of the node");

  auto* serve = app.add_subcommand("serve", "run the node over HTTP (tools, /mcp, /health, /metrics, /openapi.json)");
  serve->add_option("--listen", flags.listen, "HOST:PORT (ANARQ_LISTEN, default 127.0.0.1:8080; port 0 = any free port)");
  serve->add_option("--threads", flags.threads, "I/O threads (ANARQ_THREADS, default one per core)");
  serve->add_option("--max-body-bytes", flags.max_body_bytes, "request body limit (ANARQ_MAX_BODY_BYTES, default 16 MiB)");
  serve->add_option("--read-timeout-ms", flags.read_timeout_ms, "ANARQ_READ_TIMEOUT_MS, default 30000");
  serve->add_option("--idle-timeout-ms", flags.idle_timeout_ms, "ANARQ_IDLE_TIMEOUT_MS, default 60000");
  serve->add_option("--drain-timeout-ms", flags.drain_timeout_ms, "ANARQ_DRAIN_TIMEOUT_MS, default 10000");
  serve->add_option("--allowed-origins", flags.allowed_origins, "extra Origins allowed on /mcp (ANARQ_ALLOWED_ORIGINS)");

  auto* mcp = app.add_subcommand("mcp", "serve MCP over stdio (JSON-RPC lines; logs on stderr)");

  std::string tool_name, tool_input;
  auto* call = app.add_subcommand("call", "call a tool in-process and print its envelope; exit 1 on error");
  call->add_option("tool", tool_name, "tool name, e.g. node.info")->required();
  std::string node_url;
  call->add_option("--node", node_url, "call a running node over HTTP (http://host:port), signed with --as");
  call->add_option("input", tool_input, "JSON object, or - to read it from stdin");

  std::string filter_module;
  bool tools_json = false;
  auto* tools = app.add_subcommand("tools", "list the tools this node serves");
  tools->add_option("--module", filter_module, "only this module's tools");
  tools->add_flag("--json", tools_json, "print the full registry as JSON");

  std::string spec_kind, spec_out, spec_dir = "modules";
  auto* spec = app.add_subcommand("spec", "print generated artifacts: openapi (YAML), mcp (JSON), events (catalogue), or write all");
  spec->add_option("kind", spec_kind, "openapi | mcp | events | write")->required()->check(CLI::IsMember({"openapi", "mcp", "events", "write"}));
  spec->add_option("--module", filter_module, "one module (default: the whole node)");
  spec->add_option("--dir", spec_dir, "for `write`: where modules/<m>/ live (default ./modules)");

  // Content (IPFS-exact): add, cat, car export/import, gc.
  std::string add_path, cat_cid, chunker = "size-262144";
  int cid_version = 0;
  bool no_pin = false, only_hash = false, quiet = false;
  auto* add = app.add_subcommand("add", "import a file as UnixFS (Kubo-identical CIDs) and print its CID");
  add->add_option("file", add_path, "file to import, or - for stdin")->required();
  add->add_option("--cid-version", cid_version, "0 (dag-pb leaves, Qm...) or 1 (raw leaves, bafy...)")->check(CLI::IsMember({0, 1}));
  add->add_option("--chunker", chunker, "size-N (default size-262144)");
  add->add_flag("--no-pin", no_pin, "do not pin the root");
  add->add_flag("--only-hash,-n", only_hash, "compute the CID without storing anything");
  add->add_flag("--quiet,-q", quiet, "print only the CID");
  uint64_t cat_offset = 0, cat_length = UINT64_MAX;
  auto* cat = app.add_subcommand("cat", "write a UnixFS file's bytes to stdout");
  cat->add_option("cid", cat_cid, "the file's CID")->required();
  cat->add_option("--offset", cat_offset, "first byte");
  cat->add_option("--length", cat_length, "bytes to write");
  std::string car_action, car_arg;
  auto* car = app.add_subcommand("car", "CAR v1: `car export CID > f.car` or `car import f.car`");
  car->add_option("action", car_action, "export | import")->required()->check(CLI::IsMember({"export", "import"}));
  car->add_option("arg", car_arg, "CID to export, or CAR file to import (- = stdin)")->required();
  app.add_subcommand("gc", "remove every block no pin reaches");

  std::string id_action, id_out = "identity.key";
  auto* id = app.add_subcommand("id", "identities: `id new [--out FILE]` writes a new Ed25519 key (0600) and prints its did:key");
  id->add_option("action", id_action, "new")->required()->check(CLI::IsMember({"new"}));
  id->add_option("--out", id_out, "key file to create (default ./identity.key; never overwritten)");

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  anarq::fault::arm_from_env();

  Config config;
  if (Status s = anarq::load_env(config, [](const char* n) { return std::getenv(n); }); !s.ok()) return fail(s);
  flags.apply(config);
  anarq::log::set_level(config.log_level);

  if (app.got_subcommand("version")) {
    std::cout << "anarq " << ANARQ_VERSION << " (" << ANARQ_GIT_REV << ")\n";
    return 0;
  }
  if (app.got_subcommand("id")) {
    auto key = anarq::crypto::ed25519_generate();
    if (Status s = anarq::crypto::write_new_key_file(id_out, key); !s.ok()) return fail(s);
    std::cout << anarq::crypto::did_key_from_ed25519(key.public_key()) << "\n";
    return 0;
  }
  std::optional<anarq::crypto::Ed25519KeyPair> as_key;
  if (!as_file.empty()) {
    auto k = anarq::crypto::load_key_file(as_file);
    if (!k.ok()) return fail(k.status());
    as_key.emplace(std::move(*k));
  }

  bool read_only = app.got_subcommand("spec") || app.got_subcommand("tools") || !node_url.empty();
  if (app.got_subcommand("spec") && !filter_module.empty()) config.modules = {filter_module};
  Node node(config, read_only);
  if (Status s = node.start(); !s.ok()) return fail(s);

  if (app.got_subcommand("add") || app.got_subcommand("cat") || app.got_subcommand("car") || app.got_subcommand("gc"))
    return run_content_command(app, node, {add_path, cat_cid, chunker, cid_version, no_pin, only_hash, quiet, cat_offset,
                                           cat_length, car_action, car_arg});

  if (app.got_subcommand("serve")) {
    Status s = node.serve([](const std::string& url) { std::cout << "listening on " << url << std::endl; });
    return s.ok() ? 0 : fail(s);
  }
  if (mcp->parsed()) {
    if (as_key) node.mcp().set_stdio_identity({anarq::crypto::did_key_from_ed25519(as_key->public_key()), "", ""});
    std::ios::sync_with_stdio(false);
    return anarq::serve_mcp_stdio(node.mcp(), std::cin, std::cout, kMaxMcpLine);
  }
  if (app.got_subcommand("call")) {
    std::string text = tool_input;
    if (tool_input == "-") {
      std::string buf;
      char chunk[65536];
      while (std::cin.read(chunk, sizeof chunk) || std::cin.gcount() > 0) {
        buf.append(chunk, static_cast<size_t>(std::cin.gcount()));
        if (buf.size() > kMaxCliInput) return fail(Status(anarq::ErrorCode::kPayloadTooLarge, "input exceeds 16 MiB"));
      }
      text = buf;
    }
    Json input = Json::object();
    if (!text.empty()) {
      auto parsed = anarq::parse_json(text);
      if (!parsed.ok()) {
        std::cout << anarq::error_envelope(parsed.status(), anarq::uuid_v7(anarq::SystemClock::instance()),
                                           anarq::SystemClock::instance().now_ms()).dump(2)
                  << "\n";
        return 1;
      }
      input = std::move(*parsed);
    }
    if (!node_url.empty()) {
      // Over HTTP: the binding comes from this binary's registry, the answer from the node.
      const anarq::Tool* tool = node.pipeline().registry().find(tool_name);
      if (!tool) return fail(anarq::Status::not_found("unknown tool '" + tool_name + "'"));
      auto req = anarq::remote_request_for(*tool, input);
      if (!req.ok()) return fail(req.status());
      auto res = anarq::remote_call(node_url, *req, as_key ? &*as_key : nullptr);
      if (!res.ok()) return fail(res.status());
      auto body = anarq::parse_json(res->body);
      std::cout << (body.ok() ? body->dump(2) : res->body) << "\n";
      return res->status >= 400 ? 1 : 0;
    }
    anarq::Call c = as_key ? node.call_as(tool_name, input,
                                          {anarq::crypto::did_key_from_ed25519(as_key->public_key()), "", ""})
                           : node.call(tool_name, input);
    std::cout << c.envelope.dump(2) << "\n";
    return c.http_status >= 400 ? 1 : 0;
  }
  if (app.got_subcommand("tools")) {
    const auto list = node.pipeline().registry().list(true);
    if (tools_json) {
      anarq::Call c = node.call("node.tools", filter_module.empty() ? Json::object() : Json{{"module", filter_module}});
      std::cout << c.envelope["data"].dump(2) << "\n";
      return c.http_status >= 400 ? 1 : 0;
    }
    for (const auto* t : list) {
      if (!filter_module.empty() && t->module != filter_module) continue;
      std::cout << t->name << "\t" << t->http.method << " " << t->http.path << "\t" << anarq::access_name(t->access) << "\t"
                << t->description << "\n";
    }
    return 0;
  }
  if (app.got_subcommand("spec")) {
    const auto& registry = node.pipeline().registry();
    if (spec_kind == "openapi") {
      std::cout << anarq::to_yaml(anarq::openapi_document(registry, filter_module, ANARQ_VERSION));
      return 0;
    }
    if (spec_kind == "mcp") {
      std::cout << anarq::mcp_manifest(registry, filter_module, ANARQ_VERSION).dump(2) << "\n";
      return 0;
    }
    if (spec_kind == "events") {
      if (filter_module.empty()) return fail(anarq::Status::validation("spec events needs --module"));
      auto md = anarq::bus::event_catalog(node.schemas(), filter_module);
      if (!md.ok()) return fail(md.status());
      std::cout << *md;
      return 0;
    }
    // write: every module's artifacts under <dir>/<module>/, and the event
    // catalogue of each module that owns topics.
    for (const auto& m : node.host().modules()) {
      std::filesystem::path dir = std::filesystem::path(spec_dir) / m.name;
      std::filesystem::create_directories(dir);
      std::ofstream(dir / "openapi.yaml") << anarq::to_yaml(anarq::openapi_document(registry, m.name, ANARQ_VERSION));
      std::ofstream(dir / "mcp.json") << anarq::mcp_manifest(registry, m.name, ANARQ_VERSION).dump(2) << "\n";
      std::cerr << "wrote " << (dir / "openapi.yaml").string() << " and mcp.json\n";
      if (std::filesystem::exists(dir / "events")) {
        auto md = anarq::bus::event_catalog(node.schemas(), m.name);
        if (!md.ok()) return fail(md.status());
        std::ofstream(dir / "events" / "catalog.md") << *md;
        std::cerr << "wrote " << (dir / "events" / "catalog.md").string() << "\n";
      }
    }
    return 0;
  }
  return 0;
}
