#pragma once

// The seam where the web console (issue #12) will be served: the files of a directory as GET
// routes on the control plane's server, "/" answering index.html. Without a directory, "/"
// says that no console is installed and where the API is.

#include <filesystem>
#include <optional>

#include <powermanage/rpc/server.hpp>

namespace allinone {

/// Serves the regular files under `directory` (read once, now) at "/<relative path>", and its
/// index.html at "/" too; with no directory, a short text page at "/". Returns how many files
/// were added. Throws std::runtime_error if `directory` is not a readable directory.
std::size_t add_console_routes(pm::rpc::Server& server,
                               const std::optional<std::filesystem::path>& directory);

}  // namespace allinone
