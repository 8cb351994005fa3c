#pragma once

// gzip for message bodies (Content-Encoding, Connect-Content-Encoding, grpc-encoding), the one
// compression every Connect and gRPC implementation offers.

#include <cstddef>
#include <string>
#include <string_view>

#include <powermanage/rpc/status.hpp>

namespace pm::rpc::detail {

/// Compresses `data` as one gzip member (RFC 1952).
std::string gzip_compress(std::string_view data);

/// Inflates the gzip member `data` into `out`. Stops with resource_exhausted as soon as the
/// output would pass `max_size` bytes, so a small "gzip bomb" costs at most that much memory;
/// answers invalid_argument for data that is not gzip or is truncated.
Status gzip_decompress(std::string_view data, std::size_t max_size, std::string& out);

/// Whether an encoding list such as "gzip, br;q=0.5" (Accept-Encoding, Connect-Accept-Encoding,
/// grpc-accept-encoding) accepts gzip (not with q=0).
bool accepts_gzip(std::string_view encodings);

/// Whether a Content-Encoding-style value names no compression ("", "identity").
bool is_identity(std::string_view encoding);

}  // namespace pm::rpc::detail
