// Uses powermanage::projection alone.
#include <cstdio>

#include <powermanage/projection/rebuild.hpp>

int main() {
    const auto rebuild = &pm::projection::rebuild;
    std::printf("projection: rebuild linked\n");
    return rebuild != nullptr ? 0 : 1;
}
