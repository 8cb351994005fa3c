#pragma once

// The seam where the web console (issue #12) is served: the built files of a directory as GET
// routes on the control plane's server, "/" answering index.html
// (ControlHostOptions::console_directory).

#include <cstddef>
#include <filesystem>

#include <powermanage/rpc/server.hpp>

namespace pm::control {

/// Serves the regular files under `directory` (read once, now) at "/<relative path>", and its
/// index.html at "/" too. Returns how many files were added. Throws std::invalid_argument if
/// `directory` is not a directory, std::runtime_error if a file cannot be read.
std::size_t add_console_routes(rpc::Server& server, const std::filesystem::path& directory);

}  // namespace pm::control
