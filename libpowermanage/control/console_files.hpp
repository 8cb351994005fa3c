#pragma once

// The seam where the web console (issue #12) is served: the built files of a directory as GET
// and HEAD routes on the control plane's server, "/" and the console's own paths (deep links
// such as /devices/<id>, reloaded in the browser) answering index.html
// (ControlHostOptions::console_directory).

#include <cstddef>
#include <filesystem>
#include <string_view>

#include <powermanage/rpc/server.hpp>

namespace pm::control {

/// The Content-Security-Policy of every console response: the console's own origin only
/// (no inline script or style, no other origin), data: images for inline icons, no framing.
inline constexpr std::string_view kConsoleContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

/// Serves the regular files under `directory` (read once, now) at "/<relative path>", and its
/// index.html at "/" too, each with kConsoleContentSecurityPolicy. Files under assets/ carry
/// content hashes in their names and are cached for a year (immutable); the others
/// (index.html) are revalidated on every use (no-cache). With an index.html, a GET or HEAD
/// that accepts text/html for a path nothing else serves gets index.html, so that the console
/// routes it, unless the path is a missing /assets/ file, names a file or an RPC (a dot in
/// its first segment) or is an operational path (/health, /ready, /metrics): those stay 404.
/// Returns how many files were added. Throws std::invalid_argument if `directory` is not a
/// directory, std::runtime_error if a file cannot be read.
std::size_t add_console_routes(rpc::Server& server, const std::filesystem::path& directory);

}  // namespace pm::control
