#include "ipld/dag_pb.h"

#include "ipld/pb_wire.h"

namespace anarq::ipld {
namespace {

constexpr uint32_t kNodeData = 1;
constexpr uint32_t kNodeLinks = 2;
constexpr uint32_t kLinkHash = 1;
constexpr uint32_t kLinkName = 2;
constexpr uint32_t kLinkTsize = 3;

size_t link_body_size(const PbLink& link, size_t hash_size) {
  size_t n = pb::bytes_field_size(kLinkHash, hash_size);
  if (link.name) n += pb::bytes_field_size(kLinkName, link.name->size());
  if (link.tsize) n += 1 + pb::varint_size(*link.tsize);
  return n;
}

Result<PbLink> decode_link(std::string_view in) {
  std::optional<Cid> hash;
  std::optional<std::string> name;
  std::optional<uint64_t> tsize;
  uint32_t last = 0;
  while (!in.empty()) {
    Result<pb::Field> f = pb::read_field(in);
    if (!f.ok()) return Status::validation("dag-pb link: " + f.status().message());
    if (f->number <= last) {
      return Status::validation(f->number == last ? "dag-pb link: duplicate field " + std::to_string(last)
                                                  : "dag-pb link: fields out of order");
    }
    last = f->number;
    switch (f->number) {
      case kLinkHash: {
        if (f->type != pb::WireType::kBytes) return Status::validation("dag-pb link: Hash must be bytes");
        Result<Cid> cid = Cid::from_bytes(f->bytes);
        if (!cid.ok()) return Status::validation("dag-pb link: Hash is not a CID: " + cid.status().message());
        hash = std::move(cid).value();
        break;
      }
      case kLinkName:
        if (f->type != pb::WireType::kBytes) return Status::validation("dag-pb link: Name must be bytes");
        name = std::string(f->bytes);
        break;
      case kLinkTsize:
        if (f->type != pb::WireType::kVarint) return Status::validation("dag-pb link: Tsize must be a varint");
        tsize = f->value;
        break;
      default:
        return Status::validation("dag-pb link: unknown field " + std::to_string(f->number));
    }
  }
  if (!hash) return Status::validation("dag-pb link: missing Hash");
  return PbLink{std::move(*hash), std::move(name), tsize};
}

}  // namespace

Result<std::string> dag_pb_encode(const PbNode& node) {
  if (node.links.size() > kMaxDagPbLinks) {
    return Status::validation("dag-pb encode: more than " + std::to_string(kMaxDagPbLinks) + " links");
  }
  std::string out;
  std::string hash;
  for (const PbLink& link : node.links) {
    hash.clear();
    link.hash.append_bytes(hash);
    pb::put_key(out, kNodeLinks, pb::WireType::kBytes);
    pb::put_varint(out, link_body_size(link, hash.size()));
    pb::put_bytes_field(out, kLinkHash, hash);
    if (link.name) pb::put_bytes_field(out, kLinkName, *link.name);
    if (link.tsize) pb::put_varint_field(out, kLinkTsize, *link.tsize);
    if (out.size() > kMaxDagPbBytes) break;
  }
  if (node.data) pb::put_bytes_field(out, kNodeData, *node.data);
  if (out.size() > kMaxDagPbBytes) {
    return Status::validation("dag-pb encode: node exceeds " + std::to_string(kMaxDagPbBytes) + " bytes");
  }
  return out;
}

Result<PbNode> dag_pb_decode(std::string_view bytes) {
  if (bytes.size() > kMaxDagPbBytes) {
    return Status::validation("dag-pb decode: block exceeds " + std::to_string(kMaxDagPbBytes) + " bytes");
  }
  PbNode node;
  bool links_done = false;  // a non-link field came after at least one link
  while (!bytes.empty()) {
    Result<pb::Field> f = pb::read_field(bytes);
    if (!f.ok()) return Status::validation("dag-pb: " + f.status().message());
    if (f->number == kNodeLinks) {
      if (f->type != pb::WireType::kBytes) return Status::validation("dag-pb: Links must be bytes");
      if (links_done) return Status::validation("dag-pb: duplicate Links section (Data between links)");
      if (node.links.size() == kMaxDagPbLinks) {
        return Status::validation("dag-pb: more than " + std::to_string(kMaxDagPbLinks) + " links");
      }
      Result<PbLink> link = decode_link(f->bytes);
      if (!link.ok()) {
        return Status::validation(link.status().message() + " (link " + std::to_string(node.links.size()) + ")");
      }
      node.links.push_back(std::move(link).value());
    } else if (f->number == kNodeData) {
      if (f->type != pb::WireType::kBytes) return Status::validation("dag-pb: Data must be bytes");
      if (node.data) return Status::validation("dag-pb: duplicate Data field");
      node.data = std::string(f->bytes);
      links_done = !node.links.empty();
    } else {
      return Status::validation("dag-pb: unknown field " + std::to_string(f->number));
    }
  }
  return node;
}

}  // namespace anarq::ipld
