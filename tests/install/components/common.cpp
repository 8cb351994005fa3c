// Uses powermanage::common alone.
#include <cstdio>

#include <powermanage/common/ulid.hpp>

int main() {
    const auto id = pm::new_ulid();
    std::printf("common: %s\n", id.c_str());
    return pm::Ulid::is_valid(id) ? 0 : 1;
}
