#include "control/console_files.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pm::control {

namespace {

std::string content_type(const std::filesystem::path& file) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
    };
    const auto it = types.find(file.extension().string());
    return it == types.end() ? "application/octet-stream" : it->second;
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) {
        throw std::runtime_error("cannot read console file " + file.string());
    }
    return content.str();
}

}  // namespace

std::size_t add_console_routes(rpc::Server& server, const std::filesystem::path& directory) {
    if (!std::filesystem::is_directory(directory)) {
        throw std::invalid_argument("the console directory " + directory.string() +
                                    " is not a directory: point it at the console's built files");
    }
    std::size_t added = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const auto relative = std::filesystem::relative(entry.path(), directory);
        rpc::PlainResponse response{200, content_type(entry.path()), read_file(entry.path())};
        if (relative == "index.html") {
            server.add_plain_route("/", [response] { return response; });
        }
        server.add_plain_route("/" + relative.generic_string(), [response] { return response; });
        ++added;
    }
    return added;
}

}  // namespace pm::control
