// Uses powermanage::db alone. No database here: it links what a database program needs.
#include <cstdio>

#include <powermanage/db/migrations.hpp>

int main() {
    const auto migrate = &pm::db::migrate;
    std::printf("db: migrate() at %p\n", reinterpret_cast<const void*>(migrate));
    return migrate != nullptr ? 0 : 1;
}
