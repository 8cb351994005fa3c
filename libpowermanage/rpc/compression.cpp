#include "rpc/compression.hpp"

// next_in as a pointer to const, so input needs no cast away of const.
#define ZLIB_CONST
#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>

#include <zlib.h>

namespace pm::rpc::detail {
namespace {

// windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;
constexpr std::size_t kChunk = 64 * 1024;

// zlib's z_stream counts in uInt; feed it at most this much at a time.
constexpr std::size_t kMaxFeed = std::numeric_limits<uInt>::max();

const Bytef* zlib_input(std::string_view data) {
    return reinterpret_cast<const Bytef*>(data.data());
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

}  // namespace

std::string gzip_compress(std::string_view data) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib: deflateInit2 failed");
    }
    std::string out;
    out.resize(deflateBound(&stream, static_cast<uLong>(std::min(data.size(), kMaxFeed))) + 32);
    std::size_t produced = 0;
    int result = Z_OK;
    while (result != Z_STREAM_END) {
        if (stream.avail_in == 0 && !data.empty()) {
            const auto feed = std::min(data.size(), kMaxFeed);
            stream.next_in = zlib_input(data);
            stream.avail_in = static_cast<uInt>(feed);
            data.remove_prefix(feed);
        }
        if (produced == out.size()) {
            out.resize(out.size() * 2);
        }
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        stream.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxFeed));
        const auto before = stream.avail_out;
        result = deflate(&stream, data.empty() ? Z_FINISH : Z_NO_FLUSH);
        produced += before - stream.avail_out;
        if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR) {
            deflateEnd(&stream);
            throw std::runtime_error("zlib: deflate failed");
        }
    }
    deflateEnd(&stream);
    out.resize(produced);
    return out;
}

Status gzip_decompress(std::string_view data, std::size_t max_size, std::string& out) {
    out.clear();
    z_stream stream{};
    if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) {
        return {Code::internal, "zlib: inflateInit2 failed"};
    }
    int result = Z_OK;
    while (result != Z_STREAM_END) {
        if (stream.avail_in == 0) {
            if (data.empty()) {
                break;  // input ended before the gzip trailer
            }
            const auto feed = std::min(data.size(), kMaxFeed);
            stream.next_in = zlib_input(data);
            stream.avail_in = static_cast<uInt>(feed);
            data.remove_prefix(feed);
        }
        if (out.size() > max_size) {
            inflateEnd(&stream);
            out.clear();
            return {Code::resource_exhausted, "decompressed message is larger than the limit of " +
                                                  std::to_string(max_size) + " bytes"};
        }
        // Grow by at most one chunk past the limit, so the check above catches a bomb early.
        const auto old_size = out.size();
        out.resize(old_size + kChunk);
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
        stream.avail_out = static_cast<uInt>(kChunk);
        result = inflate(&stream, Z_NO_FLUSH);
        out.resize(old_size + (kChunk - stream.avail_out));
        if (result == Z_NEED_DICT || result == Z_DATA_ERROR || result == Z_MEM_ERROR ||
            result == Z_STREAM_ERROR) {
            inflateEnd(&stream);
            out.clear();
            return {Code::invalid_argument, "message is not valid gzip data"};
        }
        if (result == Z_BUF_ERROR && stream.avail_in == 0 && data.empty()) {
            break;  // no progress possible: truncated
        }
    }
    inflateEnd(&stream);
    if (result != Z_STREAM_END) {
        out.clear();
        return {Code::invalid_argument, "gzip data is truncated"};
    }
    if (out.size() > max_size) {
        out.clear();
        return {Code::resource_exhausted, "decompressed message is larger than the limit of " +
                                              std::to_string(max_size) + " bytes"};
    }
    return {};
}

bool accepts_gzip(std::string_view encodings) {
    while (!encodings.empty()) {
        const auto comma = encodings.find(',');
        auto item = encodings.substr(0, comma);
        encodings.remove_prefix(comma == std::string_view::npos ? encodings.size() : comma + 1);
        std::string_view params;
        if (const auto semi = item.find(';'); semi != std::string_view::npos) {
            params = item.substr(semi + 1);
            item = item.substr(0, semi);
        }
        if (!iequals(trim(item), "gzip")) {
            continue;
        }
        const auto q = trim(params);
        // "q=0", "q=0.0", "q=0.000" refuse it; any other weight accepts it.
        if (q.size() >= 3 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=' &&
            q.substr(2).find_first_not_of("0.") == std::string_view::npos) {
            return false;
        }
        return true;
    }
    return false;
}

bool is_identity(std::string_view encoding) {
    const auto value = trim(encoding);
    return value.empty() || iequals(value, "identity");
}

}  // namespace pm::rpc::detail
