#pragma once

// A blocking HTTP/1.1 client over a plain socket, for tests that need exact control of the
// bytes (malformed requests, raw CORS preflights, protocol framing) rather than a real client.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pm::testing {

/// A response as read off the wire.
struct HttpResponse {
    int status = 0;                              ///< e.g. 200; 0 if none arrived
    std::map<std::string, std::string> headers;  ///< lower-case names; repeats joined by ", "
    std::string body;                            ///< de-chunked
    /// The header's value, or "" if absent.
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// Request header fields, in order.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// One TCP connection to 127.0.0.1:`port`. Reads time out after 10 s.
class RawConnection {
public:
    /// Connects; throws std::system_error.
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    /// Sends raw bytes.
    void send(std::string_view bytes);
    /// Sends a request with a Content-Length body.
    void send_request(std::string_view method, std::string_view path, const HeaderList& headers,
                      std::string_view body);
    /// Reads one response: the body by Content-Length, chunked, or until the peer closes; none
    /// for the answer to a HEAD request (`head`), whatever its Content-Length says.
    HttpResponse read_response(bool head = false);
    /// Whether the peer closes the connection within `timeout` (no more bytes, then EOF).
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));

private:
    bool fill();  // reads more into buffer_; false at EOF
    std::string read_line();

    int fd_ = -1;
    std::string buffer_;
};

/// One request on a fresh connection (HEAD: the response has no body).
HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view path,
                          const HeaderList& headers = {}, std::string_view body = {});

}  // namespace pm::testing
