#pragma once

// Helpers of the action, action-set and definition tests: creating them as the admin, and the
// few things the service cannot do for these tests (assignments written straight into the log,
// a rebuild of the projections).

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>

#include "control_fixture.hpp"

namespace pm::testing {

class ConfigurationTest : public ControlTest {
protected:
    /// A shell action created by the admin; fails the test if it cannot be.
    std::string new_action(const std::string& name, const std::string& script = "echo hi") {
        pm::v1::CreateActionRequest request;
        request.set_name(name);
        request.set_type(pm::v1::ACTION_TYPE_SHELL);
        request.mutable_shell()->set_script(script);
        auto reply = call<pm::v1::CreateActionResponse>("CreateAction", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return reply.response.action().id();
    }
    /// An action set created by the admin.
    std::string new_set(const std::string& name) {
        pm::v1::CreateActionSetRequest request;
        request.set_name(name);
        auto reply =
            call<pm::v1::CreateActionSetResponse>("CreateActionSet", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return reply.response.set().id();
    }
    /// A definition created by the admin.
    std::string new_definition(const std::string& name) {
        pm::v1::CreateDefinitionRequest request;
        request.set_name(name);
        auto reply =
            call<pm::v1::CreateDefinitionResponse>("CreateDefinition", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return reply.response.definition().id();
    }

    /// Appends AssignmentCreated for `source` → a fresh device id straight into the log (the
    /// assignment RPCs are another domain's); returns the assignment id.
    std::string append_assignment(const std::string& source_type, const std::string& source_id) {
        const std::string id = new_ulid();
        const std::string data = "{\"source_type\":\"" + source_type + "\",\"source_id\":\"" +
                                 source_id + "\",\"target_type\":\"device\",\"target_id\":\"" +
                                 new_ulid() + "\",\"mode\":0}";
        as_system(
            "SELECT * FROM pm_append_batch(ARRAY['assignment'], ARRAY[$1], ARRAY[0::bigint], "
            "ARRAY[1], ARRAY['system'], ARRAY['test'], ARRAY[1], ARRAY[gen_random_uuid()], "
            "ARRAY['AssignmentCreated'], ARRAY[$2::jsonb], ARRAY['{}'::jsonb], now())",
            {id, data});
        return id;
    }
    /// Whether assignment `id` is live in the projection.
    bool assignment_live(const std::string& id) {
        auto rows = sql("SELECT NOT is_deleted FROM assignments_projection WHERE id = $1", {id});
        return rows.rows() == 1 && rows.boolean(0, 0);
    }
    /// Rebuilds every projection from the log.
    void rebuild() { as_system("SELECT pm_rebuild_projections()", {}); }

    /// Runs `statement` in a transaction acting as the system.
    void as_system(const std::string& statement, const std::vector<db::Param>& params) {
        db::Connection connection(database_url());
        connection.exec("BEGIN");
        connection.exec("SELECT pm_set_actor('system', 'test')");
        connection.exec(statement, params);
        connection.exec("COMMIT");
    }

    /// A user-role and a device-role access token.
    std::vector<std::pair<std::string, std::string>> non_admins() {
        create_user("plain@example.com", "plain-password");
        return {{"user", login("plain@example.com", "plain-password")},
                {"device", device_token(new_ulid())}};
    }
};

}  // namespace pm::testing
