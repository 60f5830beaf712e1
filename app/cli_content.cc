// Content from the command line: add, cat, car export|import, gc. Long
// imports show their progress on stderr when stderr is a terminal, and print
// nothing extra otherwise (scripts and pipes see only the result).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "app/cli.h"
#include "core/ids.h"
#include "ipld/car.h"
#include "ipld/importer.h"

namespace anarq::cli {
namespace {

// One status line on a terminal's stderr, redrawn at most every 100 ms and
// erased when done. Silent when stderr is not a terminal.
class Progress {
 public:
  Progress(std::string what, uint64_t total) : what_(std::move(what)), total_(total), on_(::isatty(2) == 1) {}
  ~Progress() { done(); }
  void advance(uint64_t bytes, uint64_t blocks = 0) {
    bytes_ += bytes;
    blocks_ += blocks;
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    drawn_ = true;
    double secs = std::chrono::duration<double>(now - start_).count();
    char line[160];
    int n = std::snprintf(line, sizeof line, "\r%s: %s", what_.c_str(), mib(bytes_).c_str());
    if (total_ > 0 && n > 0 && static_cast<size_t>(n) < sizeof line)
      n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n), " of %s (%d%%)", mib(total_).c_str(),
                         static_cast<int>(bytes_ * 100 / total_));
    if (blocks_ > 0 && n > 0 && static_cast<size_t>(n) < sizeof line)
      n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n), ", %llu blocks",
                         static_cast<unsigned long long>(blocks_));
    if (secs > 0.5 && n > 0 && static_cast<size_t>(n) < sizeof line)
      std::snprintf(line + n, sizeof line - static_cast<size_t>(n), ", %.1f MiB/s",
                    static_cast<double>(bytes_) / (1 << 20) / secs);
    std::fputs(line, stderr);
    std::fputs("\033[K", stderr);  // erase what a longer previous line left
    std::fflush(stderr);
  }
  void done() {
    if (!drawn_) return;
    drawn_ = false;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }

 private:
  static std::string mib(uint64_t b) {
    char s[32];
    std::snprintf(s, sizeof s, "%.1f MiB", static_cast<double>(b) / (1 << 20));
    return s;
  }
  std::string what_;
  uint64_t total_;
  bool on_;
  bool drawn_ = false;
  uint64_t bytes_ = 0, blocks_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_;
};

// The size of a regular file (0 when unknown: stdin, pipes).
uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<uint64_t>(st.st_size);
}

constexpr size_t kBuf = 1 << 20;

struct Input {
  std::ifstream file;
  std::istream* in = &std::cin;
};
Status open_input(const std::string& path, Input& input) {
  if (path == "-") return {};
  input.file.open(path, std::ios::binary);
  if (!input.file) return Status::not_found("cannot open " + path);
  input.in = &input.file;
  return {};
}

Result<ipld::ImportOptions> import_options(const ContentArgs& a) {
  ipld::ImportOptions o;
  o.mode = a.cid_version == 1 ? ipld::CidMode::kCidV1RawLeaves : ipld::CidMode::kCidV0;
  auto size = ipld::parse_chunker(a.chunker);
  if (!size.ok()) return size.status();
  o.chunk_size = *size;
  return o;
}

// Reads `path` in 1 MiB pieces into `write`, with progress.
Status pump(const std::string& path, const std::function<Status(std::string_view)>& write) {
  Input input;
  ANARQ_RETURN_IF_ERROR(open_input(path, input));
  Progress progress("adding " + path, file_size(path));
  std::string buf(kBuf, '\0');
  while (input.in->read(buf.data(), kBuf) || input.in->gcount() > 0) {
    auto n = static_cast<size_t>(input.in->gcount());
    ANARQ_RETURN_IF_ERROR(write(std::string_view(buf.data(), n)));
    progress.advance(n);
  }
  if (input.in->bad()) return Status::unavailable("read error on " + path);
  return {};
}

void print_added(const ContentArgs& a, const std::string& cid) {
  if (a.quiet) std::cout << cid << "\n";
  else std::cout << "added " << cid << " " << (a.add_path == "-" ? cid : a.add_path) << "\n";
}

int add(ContentStore& cs, const ContentArgs& a) {
  auto import = import_options(a);
  if (!import.ok()) return fail(import.status());
  AddOptions o;
  o.import = *import;
  o.pin = !a.no_pin;
  o.only_hash = a.only_hash;
  auto writer = cs.add_file(o);
  if (!writer.ok()) return fail(writer.status());
  if (Status s = pump(a.add_path, [&](std::string_view piece) { return (*writer)->write(piece); }); !s.ok())
    return fail(s);
  auto added = (*writer)->finish();
  if (!added.ok()) return fail(added.status());
  print_added(a, added->cid.to_string());
  return 0;
}

int cat(ContentStore& cs, const ContentArgs& a) {
  auto cid = ipld::Cid::parse(a.cat_cid);
  if (!cid.ok()) return fail(cid.status());
  auto reader = cs.open_file(*cid);
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

int car_export(ContentStore& cs, const ContentArgs& a) {
  auto cid = ipld::Cid::parse(a.car_arg);
  if (!cid.ok()) return fail(cid.status());
  Status s = ipld::export_car({*cid}, cs.getter(), [](std::string_view bytes) {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return std::cout ? Status() : Status::unavailable("cannot write to stdout");
  });
  std::cout.flush();
  return s.ok() ? 0 : fail(s);
}

int car_import(ContentStore& cs, const ContentArgs& a) {
  // All or nothing: the CAR is read and verified whole (framing, every
  // block's hash) before a block is stored, then stored in one batch made
  // durable together. Standard input is spooled to a temp file for the two passes.
  std::string path = a.car_arg;
  std::filesystem::path spool;
  struct Spool {
    std::filesystem::path& p;
    ~Spool() {
      std::error_code ec;
      if (!p.empty()) std::filesystem::remove(p, ec);
    }
  } cleanup{spool};
  if (path == "-") {
    spool = std::filesystem::temp_directory_path() / ("anarq-car-" + random_hex(8));
    std::ofstream out(spool, std::ios::binary);
    out << std::cin.rdbuf();
    out.close();
    if (!out) return fail(Status::unavailable("cannot spool standard input to " + spool.string()));
    path = spool.string();
  }
  {
    Input check;
    if (Status s = open_input(path, check); !s.ok()) return fail(s);
    auto verified = ipld::import_car(ipld::istream_source(*check.in), [](const ipld::Cid&, std::string_view) { return Status(); });
    if (!verified.ok()) return fail(verified.status());
  }
  Input input;
  if (Status s = open_input(path, input); !s.ok()) return fail(s);
  auto guard = cs.pins().gc_lock().add_guard();
  auto batch = cs.blocks().batch();
  ipld::ByteSource source = ipld::istream_source(*input.in);
  uint64_t blocks_seen = 0;
  std::optional<Result<ipld::CarImport>> imported;
  {
    Progress progress("importing " + a.car_arg, file_size(path));
    ipld::ByteSource counted = [&](char* buf, size_t capacity) -> Result<size_t> {
      auto n = source(buf, capacity);
      if (n.ok()) progress.advance(*n, std::exchange(blocks_seen, 0));
      return n;
    };
    imported = ipld::import_car(counted, [&](const ipld::Cid& c, std::string_view b) {
      ++blocks_seen;
      return batch->put(c, b, /*hashed=*/true);  // import_car verified the hash
    });
  }
  if (!imported->ok()) return fail(imported->status());
  if (Status s = batch->commit(); !s.ok()) return fail(s);
  for (const auto& root : (*imported)->roots) {
    Status s = cs.pins().pin(guard, root, /*recursive=*/true);
    std::cout << "imported " << root.to_string() << (s.ok() ? " (pinned)" : " (not pinned: " + s.message() + ")") << "\n";
  }
  std::cout << (*imported)->blocks << " blocks, " << (*imported)->bytes << " bytes\n";
  return 0;
}

int gc(ContentStore& cs) {
  auto report = cs.gc();
  if (!report.ok()) return fail(report.status());
  std::cout << "removed " << report->blocks_removed << " blocks (" << report->bytes_freed << " bytes), kept "
            << report->blocks_kept << ", " << report->duration_ms << " ms\n";
  return 0;
}

}  // namespace

int content_command(Node& node, const ContentArgs& a) {
  ContentStore* cs = node.content();
  if (cs == nullptr) return fail(Status::internal("no content store"));
  if (a.command == "add") return add(*cs, a);
  if (a.command == "cat") return cat(*cs, a);
  if (a.command == "car") return a.car_action == "export" ? car_export(*cs, a) : car_import(*cs, a);
  return gc(*cs);
}

int add_only_hash(const ContentArgs& a) {
  auto import = import_options(a);
  if (!import.ok()) return fail(import.status());
  auto importer = ipld::FileImporter::create(*import, [](const ipld::Cid&, std::string_view) { return Status(); });
  if (!importer.ok()) return fail(importer.status());
  if (Status s = pump(a.add_path, [&](std::string_view piece) { return importer->write(piece); }); !s.ok())
    return fail(s);
  auto root = importer->finish();
  if (!root.ok()) return fail(root.status());
  print_added(a, root->to_string());
  return 0;
}

}  // namespace anarq::cli
