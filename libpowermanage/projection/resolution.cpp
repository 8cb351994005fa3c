// PLACEHOLDER: replaced by the resolution implementation before it lands.
#include <powermanage/projection/resolution.hpp>

namespace pm::projection {

std::optional<DeviceConfiguration> resolve_device(db::Transaction&, std::string_view) {
    return std::nullopt;
}

}  // namespace pm::projection
