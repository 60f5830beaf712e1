// anarq: the one binary. Parses the command line (global options before or
// after the subcommand), decides whether the command may create a data dir,
// builds the Node and dispatches; identity and content commands live in
// app/cli_id.cc and app/cli_content.cc.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "app/cli.h"
#include "app/node.h"
#include "app/remote_call.h"
#include "bus/catalog.h"
#include "core/fault.h"
#include "core/json.h"
#include "core/log.h"
#include "crypto/node_key.h"
#include "transport/mcp_stdio.h"
#include "transport/specs.h"

#ifndef ANARQ_VERSION
#define ANARQ_VERSION "0.0.0"
#endif
#ifndef ANARQ_GIT_REV
#define ANARQ_GIT_REV "unknown"
#endif

namespace anarq::cli {

int fail(const Status& s) {
  std::cerr << "anarq: " << s.to_string() << "\n";
  for (const auto& hint : s.suggested_actions()) std::cerr << "  hint: " << hint << "\n";
  return s.code() == "VALIDATION_ERROR" ? 2 : 1;
}

}  // namespace anarq::cli

namespace {

using anarq::Config;
using anarq::Json;
using anarq::Node;
using anarq::Status;
using anarq::cli::fail;

constexpr size_t kMaxCliInput = 16 << 20;
constexpr size_t kMaxMcpLine = 16 << 20;
const std::string kVersionLine = std::string("anarq ") + ANARQ_VERSION + " (" + ANARQ_GIT_REV + ")";

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

// What a command may do with the data dir. A user who runs `anarq call` in a
// directory without a node almost certainly meant another directory: only the
// commands that exist to hold state create one, and they say so.
enum class DataDir {
  kNone,      // a private in-memory node (tools, spec, call --node): the data dir is never touched
  kExisting,  // call, cat, car export, gc: refused when there is no node there
  kCreate,    // init, serve, mcp, add, car import: created (and announced) when absent
};

std::string absolute(const std::string& dir) {
  std::error_code ec;
  auto p = std::filesystem::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

bool has_node(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(dir) / "state.db", ec);
}

// Stderr, after the "listening on URL" line on stdout (which scripts parse).
void print_banner(Node& node, const std::string& url) {
  std::cerr << kVersionLine << "\n"
            << "  node      " << node.operator_identity().squid_id << " (peer " << node.peer_id() << ")\n"
            << "  data dir  " << absolute(node.config().data_dir) << "\n"
            << "  HTTP      " << url << "  (tools per module, MCP at /mcp, events at /events/stream, /health, /metrics)\n"
            << "  docs      " << url << "/openapi.json; README.md and docs/ in the anarq sources; `anarq tools`\n"
            << "  stop      Ctrl-C or SIGTERM: in-flight requests finish first\n"
            << std::flush;
}

int run_call(Node& node, const std::string& tool_name, const std::string& tool_input, const std::string& node_url,
             const std::optional<anarq::crypto::Ed25519KeyPair>& as_key) {
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
                                         anarq::SystemClock::instance().now_ms())
                       .dump(2)
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
  anarq::Call c = as_key ? node.call_as(tool_name, input, {anarq::crypto::did_key_from_ed25519(as_key->public_key()), "", ""})
                         : node.call(tool_name, input);
  std::cout << c.envelope.dump(2) << "\n";
  return c.http_status >= 400 ? 1 : 0;
}

int run_spec(Node& node, const std::string& kind, const std::string& filter_module, const std::string& spec_dir) {
  const auto& registry = node.pipeline().registry();
  if (kind == "openapi") {
    std::cout << anarq::to_yaml(anarq::openapi_document(registry, filter_module, ANARQ_VERSION));
    return 0;
  }
  if (kind == "mcp") {
    std::cout << anarq::mcp_manifest(registry, filter_module, ANARQ_VERSION).dump(2) << "\n";
    return 0;
  }
  if (kind == "events") {
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

int run_tools(Node& node, const std::string& filter_module, bool json) {
  if (json) {
    anarq::Call c = node.call("node.tools", filter_module.empty() ? Json::object() : Json{{"module", filter_module}});
    std::cout << c.envelope["data"].dump(2) << "\n";
    return c.http_status >= 400 ? 1 : 0;
  }
  for (const auto* t : node.pipeline().registry().list(true)) {
    if (!filter_module.empty() && t->module != filter_module) continue;
    std::cout << t->name << "\t" << t->http.method << " " << t->http.path << "\t" << anarq::access_name(t->access) << "\t"
              << t->description << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"anarq — the Q ecosystem in one binary: HTTP, MCP and events over self-sovereign data"};
  // Global options go before or after the subcommand (`anarq add F --data-dir D`):
  // subcommands created below inherit this and hand unknown options up.
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersionLine, "print the version and exit");
  Flags flags;
  app.add_option("--data-dir", flags.data_dir, "state directory (ANARQ_DATA_DIR, default ./data)");
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error|off (ANARQ_LOG_LEVEL)");
  app.add_option("--modules", flags.modules, "comma-separated modules to run (ANARQ_MODULES; default all)");
  std::string as_file;
  app.add_option("--as", as_file, "act as the identity in this key file (from `anarq id new`) instead of the node");

  app.add_subcommand("init", "create a node in the data dir (or show the one there) and print its did:key");

  auto* serve = app.add_subcommand("serve", "run the node over HTTP (tools, /mcp, /health, /metrics, /openapi.json)");
  serve->add_option("--listen", flags.listen, "HOST:PORT (ANARQ_LISTEN, default 127.0.0.1:8080; port 0 = any free port)");
  serve->add_option("--threads", flags.threads, "I/O threads (ANARQ_THREADS, default one per core)");
  serve->add_option("--max-body-bytes", flags.max_body_bytes, "request body limit (ANARQ_MAX_BODY_BYTES, default 16 MiB)");
  serve->add_option("--read-timeout-ms", flags.read_timeout_ms, "ANARQ_READ_TIMEOUT_MS, default 30000");
  serve->add_option("--idle-timeout-ms", flags.idle_timeout_ms, "ANARQ_IDLE_TIMEOUT_MS, default 60000");
  serve->add_option("--drain-timeout-ms", flags.drain_timeout_ms, "ANARQ_DRAIN_TIMEOUT_MS, default 10000");
  serve->add_option("--allowed-origins", flags.allowed_origins, "extra Origins allowed on /mcp (ANARQ_ALLOWED_ORIGINS)");

  app.add_subcommand("mcp", "serve MCP over stdio (JSON-RPC lines; logs on stderr)");

  std::string tool_name, tool_input, node_url;
  auto* call = app.add_subcommand("call", "call a tool in-process and print its envelope; exit 1 on error");
  call->add_option("tool", tool_name, "tool name, e.g. node.info")->required();
  call->add_option("--node", node_url, "call a running node over HTTP (http://host:port), signed with --as");
  call->add_option("input", tool_input, "JSON object, or - to read it from stdin");

  std::string filter_module;
  bool tools_json = false;
  auto* tools = app.add_subcommand("tools", "list the tools this node serves");
  tools->add_option("--module", filter_module, "only this module's tools");
  tools->add_flag("--json", tools_json, "print the full registry as JSON");

  std::string spec_kind, spec_dir = "modules";
  auto* spec = app.add_subcommand("spec", "print generated artifacts: openapi (YAML), mcp (JSON), events (catalogue), or write all");
  spec->add_option("kind", spec_kind, "openapi | mcp | events | write")->required()->check(CLI::IsMember({"openapi", "mcp", "events", "write"}));
  spec->add_option("--module", filter_module, "one module (default: the whole node)");
  spec->add_option("--dir", spec_dir, "for `write`: where modules/<m>/ live (default ./modules)");

  // Content (IPFS-exact): add, cat, car export/import, gc.
  anarq::cli::ContentArgs content;
  content.chunker = "size-262144";
  auto* add = app.add_subcommand("add", "import a file as UnixFS (Kubo-identical CIDs) and print its CID");
  add->add_option("file", content.add_path, "file to import, or - for stdin")->required();
  add->add_option("--cid-version", content.cid_version, "0 (dag-pb leaves, Qm...) or 1 (raw leaves, bafy...)")->check(CLI::IsMember({0, 1}));
  add->add_option("--chunker", content.chunker, "size-N (default size-262144)");
  add->add_flag("--no-pin", content.no_pin, "do not pin the root");
  add->add_flag("--only-hash,-n", content.only_hash, "compute the CID without storing anything (no data dir needed)");
  add->add_flag("--quiet,-q", content.quiet, "print only the CID");
  auto* cat = app.add_subcommand("cat", "write a UnixFS file's bytes to stdout");
  cat->add_option("cid", content.cat_cid, "the file's CID")->required();
  cat->add_option("--offset", content.cat_offset, "first byte");
  cat->add_option("--length", content.cat_length, "bytes to write");
  auto* car = app.add_subcommand("car", "CAR v1: `car export CID > f.car` or `car import f.car`");
  car->add_option("action", content.car_action, "export | import")->required()->check(CLI::IsMember({"export", "import"}));
  car->add_option("arg", content.car_arg, "CID to export, or CAR file to import (- = stdin)")->required();
  app.add_subcommand("gc", "remove every block no pin reaches");

  // Identity key files: nothing here needs a node.
  auto* id = app.add_subcommand("id", "identity key files: new, show, sign, open");
  id->require_subcommand(1);
  std::string id_out = "identity.key", id_file, box;
  bool id_json = false;
  auto* id_new = id->add_subcommand("new", "write a new Ed25519 key (0600, never overwritten) and print its did:key");
  id_new->add_option("--out", id_out, "key file to create (default ./identity.key)");
  auto* id_show = id->add_subcommand("show", "print a key file's did:key, public key and path");
  id_show->add_option("file", id_file, "the key file")->required();
  id_show->add_flag("--json", id_json, "as JSON");
  anarq::cli::SignArgs sign;
  auto* id_sign = id->add_subcommand("sign", "print a LockSig (one JSON line): a squid.create proof, a delegation, or any message");
  id_sign->add_option("file", sign.file, "the signing key file")->required();
  auto* message = id_sign->add_option("--message", sign.message, "sign these bytes (UTF-8)");
  id_sign->add_option("--message-file", sign.message_file, "sign this file's bytes (- = stdin)");
  id_sign->add_option("--delegation", sign.delegation,
                      "sign the sQuid delegation of {\"parentId\",\"squidId\",\"type\"} (a squid.sub.create input; - = "
                      "stdin): the root's key gives `delegation`, the subidentity's `subProof`");
  id_sign->add_flag("--squid-create", sign.squid_create, "sign the BYOK proof of squid.create for this key's own did:key");
  auto* id_open = id->add_subcommand("open", "open a sealed box (qlock.encrypt to a recipient) addressed to this key file");
  id_open->alias("unseal");
  id_open->add_option("file", id_file, "the recipient's key file")->required();
  id_open->add_option("box", box, "the ciphertext JSON (or what `anarq call qlock.encrypt` printed); default - = stdin");

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  anarq::fault::arm_from_env();
  auto got = [&](const char* name) { return app.got_subcommand(name); };

  if (got("version")) {
    std::cout << kVersionLine << "\n";
    return 0;
  }
  if (id->parsed()) {
    if (id_new->parsed()) {
      auto key = anarq::crypto::ed25519_generate();
      if (Status s = anarq::crypto::write_new_key_file(id_out, key); !s.ok()) return fail(s);
      std::cout << anarq::crypto::did_key_from_ed25519(key.public_key()) << "\n";
      return 0;
    }
    if (id_show->parsed()) return anarq::cli::id_show(id_file, id_json);
    if (id_sign->parsed()) {
      sign.has_message = message->count() > 0;
      return anarq::cli::id_sign(sign);
    }
    return anarq::cli::id_open(id_file, box);
  }
  if (add->parsed() && content.only_hash) return anarq::cli::add_only_hash(content);

  Config config;
  if (Status s = anarq::load_env(config, [](const char* n) { return std::getenv(n); }); !s.ok()) return fail(s);
  // One-shot commands print their result (a call's error is its envelope):
  // the per-call log lines would say it twice. Servers log at info.
  const bool server = serve->parsed() || got("mcp");
  if (!server && flags.log_level.empty() && std::getenv("ANARQ_LOG_LEVEL") == nullptr) config.log_level = "warn";
  flags.apply(config);
  anarq::log::set_level(config.log_level);

  std::optional<anarq::crypto::Ed25519KeyPair> as_key;
  if (!as_file.empty()) {
    auto k = anarq::crypto::load_key_file(as_file);
    if (!k.ok()) return fail(k.status());
    as_key.emplace(std::move(*k));
  }

  DataDir use = DataDir::kExisting;
  if (spec->parsed() || tools->parsed() || !node_url.empty()) use = DataDir::kNone;
  else if (got("init") || server || add->parsed() || (car->parsed() && content.car_action == "import"))
    use = DataDir::kCreate;
  if (use == DataDir::kExisting && !has_node(config.data_dir))
    return fail(Status::not_found("no node data in " + absolute(config.data_dir) +
                                  " (use --data-dir or ANARQ_DATA_DIR; `anarq init` or `anarq serve` creates one)"));

  if (spec->parsed() && !filter_module.empty()) config.modules = {filter_module};
  Node node(config, use == DataDir::kNone);
  if (Status s = node.start(); !s.ok()) return fail(s);
  const std::string& did = node.operator_identity().squid_id;
  if (node.created()) std::cerr << "anarq: created a new node in " << absolute(config.data_dir) << ": " << did << "\n";

  if (got("init")) {
    if (!node.created()) std::cerr << "anarq: a node already exists in " << absolute(config.data_dir) << "\n";
    std::cout << did << "\n";
    return 0;
  }
  if (add->parsed() || cat->parsed() || car->parsed() || got("gc")) {
    content.command = add->parsed() ? "add" : cat->parsed() ? "cat" : car->parsed() ? "car" : "gc";
    return anarq::cli::content_command(node, content);
  }
  if (serve->parsed()) {
    Status s = node.serve([&](const std::string& url) {
      std::cout << "listening on " << url << std::endl;
      print_banner(node, url);
    });
    return s.ok() ? 0 : fail(s);
  }
  if (got("mcp")) {
    if (as_key) node.mcp().set_stdio_identity({anarq::crypto::did_key_from_ed25519(as_key->public_key()), "", ""});
    std::ios::sync_with_stdio(false);
    return anarq::serve_mcp_stdio(node.mcp(), std::cin, std::cout, kMaxMcpLine);
  }
  if (call->parsed()) return run_call(node, tool_name, tool_input, node_url, as_key);
  if (tools->parsed()) return run_tools(node, filter_module, tools_json);
  if (spec->parsed()) return run_spec(node, spec_kind, filter_module, spec_dir);
  return 0;
}
