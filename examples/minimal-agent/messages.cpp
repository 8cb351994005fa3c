#include "messages.hpp"

#include <iostream>

#include <powermanage/common/ulid.hpp>

namespace pm::agent {

void note(const std::string& line) {
    std::cerr << "pm-agent: " << line << std::endl;
}

pm::v1::AgentMessage message_with_id() {
    pm::v1::AgentMessage message;
    message.set_id(new_ulid());
    return message;
}

std::string as_utf8(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size();) {
        const auto lead = static_cast<unsigned char>(bytes[i]);
        const std::size_t length = lead < 0x80           ? 1
                                   : (lead >> 5) == 0x6  ? 2
                                   : (lead >> 4) == 0xE  ? 3
                                   : (lead >> 3) == 0x1E ? 4
                                                         : 0;
        bool valid = length > 0 && i + length <= bytes.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            valid = (static_cast<unsigned char>(bytes[i + k]) >> 6) == 0x2;
        }
        if (valid) {
            out.append(bytes, i, length);
            i += length;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

pm::v1::AgentMessage make_result(const std::string& execution_id, pm::v1::ExecutionStatus status,
                                 const std::string& error,
                                 std::chrono::steady_clock::time_point started) {
    auto message = message_with_id();
    auto* result = message.mutable_action_result();
    result->mutable_action_id()->set_value(execution_id);
    result->set_status(status);
    result->set_error(error);
    result->set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count());
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
    result->mutable_completed_at()->set_seconds(seconds.count());
    result->mutable_completed_at()->set_nanos(static_cast<std::int32_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count()));
    return message;
}

}  // namespace pm::agent
