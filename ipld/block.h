#pragma once
// What a block is to the layers that move blocks around (links.h, car.h and
// the store): a byte string addressed by a CID, at most kMaxBlockBytes long,
// and the callback through which those layers fetch one.
//
// Header-only constants and types: thread-safe.
#include <cstddef>
#include <functional>
#include <string>

#include "core/status.h"
#include "ipld/cid.h"

namespace anarq::ipld {

// Largest block we store, pin, export or import. Kubo's bitswap refuses blocks
// over 2 MiB, so a larger block could never leave this node anyway.
inline constexpr size_t kMaxBlockBytes = size_t{2} << 20;

// Fetches a block's bytes. NOT_FOUND (naming the CID) when it is not there.
// A getter may answer with empty bytes for a codec that cannot hold links
// (raw) once it knows the block is present: walks that only need links accept
// such "presence-only" getters (see store/blockstore.h links_getter).
using BlockGetter = std::function<Result<std::string>(const Cid& cid)>;

}  // namespace anarq::ipld
