#include "http_probe.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace pm::testing {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return std::string(text);
}

}  // namespace

RawConnection::RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        const int error = errno;
        ::close(fd_);
        throw std::system_error(error, std::generic_category(), "connect");
    }
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void RawConnection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent <= 0) {
            throw std::system_error(errno, std::generic_category(), "send");
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
}

void RawConnection::send_request(std::string_view method, std::string_view path,
                                 const HeaderList& headers, std::string_view body) {
    std::string request = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\n";
    request += "host: 127.0.0.1\r\n";
    for (const auto& [name, value] : headers) {
        request += name + ": " + value + "\r\n";
    }
    if (!body.empty() || method == "POST") {
        request += "content-length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n";
    request += body;
    send(request);
}

bool RawConnection::fill() {
    char chunk[16384];
    const auto got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got <= 0) {
        return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
}

std::string RawConnection::read_line() {
    for (;;) {
        const auto end = buffer_.find("\r\n");
        if (end != std::string::npos) {
            auto line = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            return line;
        }
        if (!fill()) {
            throw std::runtime_error("connection ended inside a line");
        }
    }
}

HttpResponse RawConnection::read_response(bool head) {
    HttpResponse response;
    std::string status_line;
    try {
        status_line = read_line();
    } catch (const std::runtime_error&) {
        return response;  // status 0: nothing came
    }
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
        throw std::runtime_error("bad status line: " + status_line);
    }
    response.status = std::stoi(status_line.substr(9, 3));
    for (;;) {
        const auto line = read_line();
        if (line.empty()) {
            break;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            throw std::runtime_error("bad header line: " + line);
        }
        auto name = lower(line.substr(0, colon));
        auto value = trim(std::string_view(line).substr(colon + 1));
        auto& slot = response.headers[name];
        slot = slot.empty() ? value : slot + ", " + value;
    }
    if (response.status == 100) {
        return read_response(head);  // the interim "100 Continue"
    }
    if (head) {
        return response;
    }
    if (lower(response.header("transfer-encoding")).find("chunked") != std::string::npos) {
        for (;;) {
            const auto size = std::stoul(read_line(), nullptr, 16);
            if (size == 0) {
                while (!read_line().empty()) {
                }
                break;
            }
            while (buffer_.size() < size + 2) {
                if (!fill()) {
                    throw std::runtime_error("connection ended inside a chunk");
                }
            }
            response.body += buffer_.substr(0, size);
            buffer_.erase(0, size + 2);
        }
    } else if (const auto length = response.header("content-length"); !length.empty()) {
        const auto size = std::stoul(length);
        while (buffer_.size() < size) {
            if (!fill()) {
                throw std::runtime_error("connection ended inside the body");
            }
        }
        response.body = buffer_.substr(0, size);
        buffer_.erase(0, size);
    } else if (response.status != 204 && response.status != 304) {
        while (fill()) {
        }
        response.body = std::move(buffer_);
        buffer_.clear();
    }
    return response;
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(timeout.count())) <= 0) {
        return false;
    }
    char byte;
    const auto got = ::recv(fd_, &byte, 1, MSG_PEEK);
    return got == 0 || (got < 0 && errno == ECONNRESET);
}

HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view path,
                          const HeaderList& headers, std::string_view body) {
    RawConnection connection(port);
    connection.send_request(method, path, headers, body);
    return connection.read_response(method == "HEAD");
}

}  // namespace pm::testing
