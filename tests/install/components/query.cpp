// Uses powermanage::query alone.
#include <cstdio>

#include <powermanage/query/query.hpp>

int main() {
    const auto parsed = pm::query::parse("labels.env equals prod");
    std::printf("query: %s\n", parsed.ok() ? "parsed" : "refused");
    return parsed.ok() ? 0 : 1;
}
