#pragma once
// CAR v1 (ipld.io/specs/transport/car/carv1): a stream of blocks, how DAGs
// move between IPFS nodes (`ipfs dag export/import`, gateway ?format=car).
//
//   car     = section(header) ‖ section(block)*
//   section = varint(len) ‖ payload            (varint: multiformats unsigned varint)
//   header  = DAG-CBOR {"roots": [link, ...], "version": 1}
//   block   = binary CID ‖ block bytes         (len = both together)
//
// export_car writes the header, then every block reachable from the roots
// once, depth-first preorder, children in link order (DagWalker), as Kubo's
// `dag export` orders them. Identity-hash blocks are walked through but not
// written: their bytes are in the CID. Memory: one block plus the walk's
// visited set; bytes go to the sink as they are produced.
//
// CarReader reads a stream it does not trust: the header at most
// kMaxCarHeaderBytes, version 1 only (a CARv2 stream is refused by name),
// exactly the keys "roots" (an array of links, possibly empty) and "version";
// each section at most kMaxCarSectionBytes, no zero-length sections, blocks at
// most kMaxBlockBytes, each block's hash verified against its CID (hash
// functions we cannot verify are refused). Every error names the byte offset
// of the section it is about. Memory: one section.
//
// CarReader and export_car state are single-owner (one thread at a time).
//
//   ipld::CarImport result = *ipld::import_car(istream_source(in), [&](const Cid& c, std::string_view b) {
//     return blocks.put(c, b);
//   });
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ipld/block.h"
#include "ipld/cid.h"
#include "ipld/importer.h"
#include "ipld/links.h"

namespace anarq::ipld {

inline constexpr size_t kMaxCarHeaderBytes = size_t{1} << 20;
// A block and its CID (a CID is < 160 bytes: kMaxDigestBytes plus four varints).
inline constexpr size_t kMaxCarSectionBytes = kMaxBlockBytes + 256;
inline constexpr uint64_t kDefaultMaxCarBlocks = uint64_t{1} << 22;

// Receives the CAR bytes in order. A non-OK Status stops the export.
using ByteSink = std::function<Status(std::string_view bytes)>;
// Fills up to `capacity` bytes of `buf`; returns how many, 0 only at the end of
// the stream.
using ByteSource = std::function<Result<size_t>(char* buf, size_t capacity)>;

// The header section (varint length included) for these roots.
// PAYLOAD_TOO_LARGE past kMaxCarHeaderBytes.
Result<std::string> car_header(const std::vector<Cid>& roots);

// `get` must return every block's bytes (store/blockstore.h full_getter);
// each is checked against its CID before it is written.
Status export_car(const std::vector<Cid>& roots, const BlockGetter& get, const ByteSink& out,
                  const WalkLimits& limits = {});

struct CarBlock {
  Cid cid;
  std::string bytes;
};

class CarReader {
 public:
  // Reads and checks the header.
  static Result<CarReader> open(ByteSource source);

  const std::vector<Cid>& roots() const { return roots_; }
  // The next verified block; nullopt at a clean end of the stream (a section
  // boundary). After an error the reader is failed: every call repeats it.
  Result<std::optional<CarBlock>> next();
  // Bytes consumed so far.
  uint64_t offset() const { return consumed_; }

 private:
  explicit CarReader(ByteSource source);
  // Next byte, or nullopt at the end of the stream.
  Result<std::optional<uint8_t>> byte();
  // A section's length varint; nullopt at a clean end before its first byte.
  Result<std::optional<uint64_t>> length(uint64_t section_at);
  Status read_exact(size_t n, std::string& out, uint64_t section_at);
  Status read_header();

  ByteSource source_;
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t consumed_ = 0;
  std::vector<Cid> roots_;
  Status failed_;
};

struct CarImport {
  std::vector<Cid> roots;
  uint64_t blocks = 0;
  uint64_t bytes = 0;  // block bytes handed to the sink
};

// Reads a whole CAR, handing each verified block to `sink` as it arrives.
// Refuses more than max_blocks blocks.
Result<CarImport> import_car(ByteSource source, const BlockSink& sink, uint64_t max_blocks = kDefaultMaxCarBlocks);

// A ByteSource over a std::istream (a failed read is an error, EOF the end).
ByteSource istream_source(std::istream& in);

}  // namespace anarq::ipld
