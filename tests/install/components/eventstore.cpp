// Uses powermanage::eventstore alone.
#include <cstdio>

#include <powermanage/eventstore/event_store.hpp>

int main() {
    const auto read_all = &pm::eventstore::EventStore::read_all;
    std::printf("eventstore: read_all linked\n");
    return read_all != nullptr ? 0 : 1;
}
