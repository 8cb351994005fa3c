#pragma once

// A random but valid history of a fleet: users, tokens, devices, actions, sets, definitions,
// groups, assignments, executions and selections, with references only to things that exist
// and names that are unique among live rows. Same seed, same history.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <powermanage/eventstore/event_store.hpp>

namespace pm::testing {

class RandomHistory {
public:
    explicit RandomHistory(std::uint32_t seed) : random_(seed) {}

    /// Appends `count` events through `store`, `concurrency` appends in flight at a time.
    void append(eventstore::EventStore& store, int count, int concurrency = 16);

private:
    struct Command {
        eventstore::StreamId stream;
        eventstore::NewEvent event;
    };
    Command next();
    const std::string& pick(const std::vector<std::string>& ids);
    bool chance(int percent);
    std::string fresh_id();

    std::mt19937 random_;
    std::uint64_t counter_ = 0;
    std::vector<std::string> users_, tokens_, devices_, actions_, sets_, definitions_, groups_,
        assignments_, executions_;
};

}  // namespace pm::testing
