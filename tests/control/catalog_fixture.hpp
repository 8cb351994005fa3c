#pragma once

// ControlTest plus a catalogue written straight to the event store (actions, sets,
// definitions, groups): the projectors build the rows, so these tests do not depend on the
// catalogue RPCs. Assignments and selections go through the RPCs under test.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/eventstore/events.hpp>

#include "control_fixture.hpp"

namespace pm::testing {

class CatalogTest : public ControlTest {
protected:
    void TearDown() override {
        store_.reset();
        pool_.reset();
        ControlTest::TearDown();
    }

    /// Appends `payload` to stream `id` of its type as an admin (creation or update).
    template <eventstore::CatalogueEvent E>
    void append(const std::string& id, const E& payload) {
        if (!store_) {
            pool_ = std::make_unique<db::ConnectionPool>(database_url(), 2);
            store_ = std::make_unique<eventstore::EventStore>(*pool_);
        }
        std::vector<eventstore::NewEvent> events;
        events.push_back(eventstore::NewEvent::of(payload));
        store_->append({std::string(E::kStream), id}, eventstore::ExpectedVersion::any(),
                       std::move(events), db::Actor::system("test"));
    }

    /// A stored package action named `name`.
    std::string action(const std::string& name) {
        const auto id = new_ulid();
        append(id, eventstore::ActionCreated{.name = name,
                                             .description = name + " description",
                                             .action_type = 1,
                                             .desired_state = 0,
                                             .params = boost::json::object{{"name", name}},
                                             .timeout_seconds = 60});
        return id;
    }
    /// A set of `actions`, in that order.
    std::string set(const std::vector<std::string>& actions, const std::string& name = {}) {
        const auto id = new_ulid();
        append(id, eventstore::ActionSetCreated{name.empty() ? "set-" + id : name, "a set"});
        for (std::size_t i = 0; i < actions.size(); ++i) {
            append(id, eventstore::ActionSetMemberAdded{actions[i], static_cast<int>(i)});
        }
        return id;
    }
    /// A definition of `sets`, in that order.
    std::string definition(const std::vector<std::string>& sets) {
        const auto id = new_ulid();
        append(id, eventstore::DefinitionCreated{"def-" + id, "a definition"});
        for (std::size_t i = 0; i < sets.size(); ++i) {
            append(id, eventstore::DefinitionMemberAdded{sets[i], static_cast<int>(i)});
        }
        return id;
    }
    /// A static group of `devices`.
    std::string group(const std::vector<std::string>& devices) {
        const auto id = new_ulid();
        append(id, eventstore::DeviceGroupCreated{"group-" + id, "", false, ""});
        for (const auto& d : devices) {
            append(id, eventstore::DeviceGroupMemberAdded{d});
        }
        return id;
    }

    /// CreateAssignment as `bearer` (the admin by default).
    Reply<pm::v1::CreateAssignmentResponse> assign(const std::string& source_type,
                                                   const std::string& source_id,
                                                   const std::string& target_type,
                                                   const std::string& target_id,
                                                   pm::v1::AssignmentMode mode,
                                                   std::string bearer = {}) {
        pm::v1::CreateAssignmentRequest request;
        request.set_source_type(source_type);
        request.set_source_id(source_id);
        request.set_target_type(target_type);
        request.set_target_id(target_id);
        request.set_mode(mode);
        return call<pm::v1::CreateAssignmentResponse>("CreateAssignment", request,
                                                      bearer.empty() ? admin_token() : bearer);
    }
    /// A console user with `device` assigned to them; returns their access token.
    std::string owner_of(const std::string& device, const std::string& email) {
        const auto user = create_user(email, "long enough password");
        pm::v1::AssignDeviceRequest request;
        request.set_device_id(device);
        request.set_user_id(user);
        auto reply = call<pm::v1::AssignDeviceResponse>("AssignDevice", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return login(email, "long enough password");
    }

    std::unique_ptr<db::ConnectionPool> pool_;
    std::unique_ptr<eventstore::EventStore> store_;
};

}  // namespace pm::testing
