#include "ipld/links.h"

#include <utility>

#include "ipld/cbor_wire.h"
#include "ipld/dag_pb.h"
#include "ipld/multicodec.h"

namespace anarq::ipld {
namespace {

using namespace cbor;  // major types and the link tag (ipld/cbor_wire.h)

// A link-finding pass over CBOR (RFC 8949). Instead of recursing it counts the
// data items still owed: an array of n owes n more, a map of n owes 2n, a tag
// owes its one item (for tag 42 we read that item at once). The value is
// complete when nothing is owed; every owed item needs at least one byte, so
// counts beyond the bytes left are refused before they are added.
class LinkScanner {
 public:
  explicit LinkScanner(std::string_view in) : in_(in) {}

  Status scan(std::vector<Cid>& links) {
    uint64_t owed = 1;
    while (owed > 0) {
      --owed;
      uint8_t major = 0;
      uint64_t arg = 0;
      if (!read_head(major, arg)) return error();
      switch (major) {
        case kMajorBytes:
        case kMajorText:
          if (arg > left()) {
            fail("length " + std::to_string(arg) + " runs past the end");
            return error();
          }
          pos_ += arg;
          break;
        case kMajorArray:
          if (arg > left()) {
            fail("array of " + std::to_string(arg) + " items runs past the end");
            return error();
          }
          owed += arg;
          break;
        case kMajorMap:
          if (arg > left() / 2) {
            fail("map of " + std::to_string(arg) + " entries runs past the end");
            return error();
          }
          owed += 2 * arg;
          break;
        case kMajorTag:
          if (arg != kTagCid) {
            fail("tag " + std::to_string(arg) + " is not allowed (only 42)");
            return error();
          }
          if (!read_link(links)) return error();
          break;
        default:  // unsigned, negative, simple values and floats: the head was all of it
          break;
      }
      if (owed > left()) {
        fail(std::to_string(owed) + " more items are owed but only " + std::to_string(left()) + " bytes remain");
        return error();
      }
    }
    if (pos_ != in_.size()) {
      return Status::validation("dag-cbor links: " + std::to_string(in_.size() - pos_) +
                                " trailing bytes after the value");
    }
    return {};
  }

 private:
  size_t left() const { return in_.size() - pos_; }

  bool fail(std::string why) {
    what_ = std::move(why) + " at byte " + std::to_string(pos_);
    return false;
  }
  Status error() const { return Status::validation("dag-cbor links: " + what_); }

  // Initial byte and argument. For major type 7 the argument bytes are the
  // simple value or the float (1, 2, 4 or 8 bytes), skipped the same way.
  bool read_head(uint8_t& major, uint64_t& arg) {
    if (left() == 0) return fail("unexpected end of input");
    const auto ib = static_cast<uint8_t>(in_[pos_]);
    major = ib >> 5;
    const uint8_t info = ib & 0x1f;
    if (info == 31) {
      return fail(major == kMajorSimple ? "unexpected break (indefinite lengths are not allowed)"
                                        : "indefinite-length items are not allowed");
    }
    if (info >= 28) return fail("reserved additional information " + std::to_string(info));
    ++pos_;
    if (info < 24) {
      arg = info;
      return true;
    }
    const size_t n = size_t{1} << (info - 24);
    if (left() < n) return fail("truncated argument");
    arg = 0;
    for (size_t i = 0; i < n; ++i) arg = (arg << 8) | static_cast<uint8_t>(in_[pos_ + i]);
    pos_ += n;
    return true;
  }

  // The item under tag 42: a byte string 0x00 ‖ binary CID.
  bool read_link(std::vector<Cid>& links) {
    uint8_t major = 0;
    uint64_t len = 0;
    const size_t at = pos_;
    if (!read_head(major, len)) return false;
    if (major != kMajorBytes) {
      pos_ = at;
      return fail("tag 42 must wrap a byte string");
    }
    if (len > left()) return fail("length " + std::to_string(len) + " runs past the end");
    const std::string_view payload = in_.substr(pos_, len);
    if (payload.empty() || payload[0] != 0x00) return fail("tag 42 bytes must start with 0x00");
    Result<Cid> cid = Cid::from_bytes(payload.substr(1));
    if (!cid.ok()) return fail("tag 42: " + cid.status().message());
    links.push_back(std::move(cid).value());
    pos_ += len;
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string what_;
};

std::string hex_code(uint64_t code) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[code & 15]);
    code >>= 4;
  } while (code != 0);
  return "0x" + out;
}

}  // namespace

Result<std::vector<Cid>> block_links(const Cid& cid, std::string_view block) {
  if (block.size() > kMaxBlockBytes) {
    return Status::validation("block " + cid.to_string() + " exceeds " + std::to_string(kMaxBlockBytes) +
                              " bytes");
  }
  std::vector<Cid> links;
  switch (cid.codec()) {
    case kCodecRaw:
    case kCodecIdentity:
      return links;
    case kCodecDagPb: {
      Result<PbNode> node = dag_pb_decode(block);
      if (!node.ok()) return Status::validation("block " + cid.to_string() + ": " + node.status().message());
      links.reserve(node->links.size());
      for (PbLink& link : node->links) links.push_back(std::move(link.hash));
      return links;
    }
    case kCodecDagCbor: {
      Status s = LinkScanner(block).scan(links);
      if (!s.ok()) return Status::validation("block " + cid.to_string() + ": " + s.message());
      return links;
    }
    default:
      return Status::validation("block " + cid.to_string() + " has codec " + hex_code(cid.codec()) +
                                ", whose links we cannot read");
  }
}

DagWalker::DagWalker(BlockGetter get, WalkLimits limits) : get_(std::move(get)), limits_(limits) {}

Status DagWalker::walk(const Cid& root, const BlockVisitor& visit) {
  // Preorder with an explicit stack: children are pushed in reverse so the
  // first link is popped first, which gives the same order as the recursive
  // walk "visit node, then each child in turn, skipping visited ones".
  std::vector<Cid> stack{root};
  while (!stack.empty()) {
    Cid cid = std::move(stack.back());
    stack.pop_back();
    if (!seen_.insert(cid.bytes()).second) continue;
    if (seen_.size() > limits_.max_blocks) {
      return Status(ErrorCode::kPayloadTooLarge,
                    "DAG under " + root.to_string() + " has more than " + std::to_string(limits_.max_blocks) +
                        " blocks");
    }
    Result<std::string> block = get_(cid);
    if (!block.ok()) return block.status();
    ANARQ_RETURN_IF_ERROR(visit(cid, *block));
    Result<std::vector<Cid>> links = block_links(cid, *block);
    if (!links.ok()) return links.status();
    for (auto it = links->rbegin(); it != links->rend(); ++it) {
      if (seen_.count(it->bytes()) != 0) continue;
      if (stack.size() >= limits_.max_pending) {
        return Status(ErrorCode::kPayloadTooLarge,
                      "DAG under " + root.to_string() + " has more than " +
                          std::to_string(limits_.max_pending) + " links pending");
      }
      stack.push_back(std::move(*it));
    }
  }
  return {};
}

}  // namespace anarq::ipld
