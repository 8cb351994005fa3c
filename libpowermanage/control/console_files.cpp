#include "control/console_files.hpp"

#include <array>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pm::control {

namespace {

// Vite names everything under assets/ by its content hash, so a changed file is a new URL.
constexpr std::string_view kHashedPrefix = "assets/";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
// index.html names the current hashed files: a stale copy would load an old console.
constexpr std::string_view kRevalidate = "no-cache";
// First path segments that are never the console's: the server's operational routes, served
// (or deliberately absent) on their own.
constexpr std::array<std::string_view, 3> kOperational = {"health", "ready", "metrics"};

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

rpc::PlainResponse console_response(const std::filesystem::path& file, std::string body,
                                    bool hashed) {
    rpc::PlainResponse response{200, content_type(file), std::move(body)};
    response.headers.add("cache-control", std::string(hashed ? kImmutable : kRevalidate));
    response.headers.add("content-security-policy", std::string(kConsoleContentSecurityPolicy));
    return response;
}

// Whether a path nothing else serves is one of the console's own (a page it routes).
bool console_path(std::string_view path) {
    const auto rest = path.substr(1);
    if (rest.starts_with(kHashedPrefix)) {
        return false;  // a missing asset is a broken build or a stale page: say so with a 404
    }
    const auto segment = rest.substr(0, rest.find('/'));
    if (segment.find('.') != std::string_view::npos) {
        return false;  // a file ("/robots.txt") or an RPC ("/pm.v1.ControlService/...")
    }
    for (const auto operational : kOperational) {
        if (segment == operational) {
            return false;
        }
    }
    return true;
}

// Only a browser navigating wants the page; an API client or a script gets the plain 404.
bool accepts_html(const rpc::Headers& request_headers) {
    const auto accept = request_headers.get("accept");
    return accept && accept->find("text/html") != std::string_view::npos;
}

}  // namespace

std::size_t add_console_routes(rpc::Server& server, const std::filesystem::path& directory) {
    if (!std::filesystem::is_directory(directory)) {
        throw std::invalid_argument("the console directory " + directory.string() +
                                    " is not a directory: point it at the console's built files");
    }
    std::size_t added = 0;
    std::optional<rpc::PlainResponse> index;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const auto relative = std::filesystem::relative(entry.path(), directory).generic_string();
        const auto response = console_response(entry.path(), read_file(entry.path()),
                                               relative.starts_with(kHashedPrefix));
        if (relative == "index.html") {
            index = response;
            server.add_plain_route("/", [response] { return response; });
        }
        server.add_plain_route("/" + relative, [response] { return response; });
        ++added;
    }
    if (index) {
        server.set_plain_fallback(
            [index = std::move(*index)](
                std::string_view path,
                const rpc::Headers& request_headers) -> std::optional<rpc::PlainResponse> {
                if (!console_path(path) || !accepts_html(request_headers)) {
                    return std::nullopt;
                }
                return index;
            });
    }
    return added;
}

}  // namespace pm::control
