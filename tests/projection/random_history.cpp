#include "projection/random_history.hpp"

#include <deque>
#include <future>

#include <fmt/format.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/eventstore/events.hpp>

namespace pm::testing {
namespace {

using namespace pm::eventstore;

template <class E>
NewEvent of(const E& e) {
    return NewEvent::of(e);
}

}  // namespace

const std::string& RandomHistory::pick(const std::vector<std::string>& ids) {
    return ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(random_)];
}

bool RandomHistory::chance(int percent) {
    return std::uniform_int_distribution<int>(0, 99)(random_) < percent;
}

std::string RandomHistory::fresh_id() {
    return new_ulid();
}

RandomHistory::Command RandomHistory::next() {
    const auto n = ++counter_;
    const int kind = std::uniform_int_distribution<int>(0, 11)(random_);
    // Creations first whenever the kind needs something that does not exist yet.
    if (kind == 0 || users_.empty()) {
        if (users_.empty() || chance(40)) {
            users_.push_back(fresh_id());
            return {{"user", users_.back()},
                    of(UserCreated{.email = fmt::format("user{}@example.com", n),
                                   .password_hash = "$argon2id$x",
                                   .role = chance(20) ? "admin" : "user"})};
        }
        const auto& u = pick(users_);
        switch (std::uniform_int_distribution<int>(0, 5)(random_)) {
            case 0:
                return {{"user", u},
                        of(UserEmailChanged{.email = fmt::format("renamed{}@example.com", n)})};
            case 1:
                return {{"user", u},
                        of(UserPasswordChanged{.password_hash = fmt::format("$argon2id${}", n)})};
            case 2:
                return {{"user", u}, of(UserRoleChanged{.role = chance(50) ? "admin" : "user"})};
            case 3:
                return {{"user", u}, of(UserDisabled{})};
            case 4:
                return {{"user", u}, of(UserLoggedIn{})};
            default:
                return {{"user", u}, of(UserEnabled{})};
        }
    }
    if (kind == 1 || tokens_.empty()) {
        if (tokens_.empty() || chance(40)) {
            tokens_.push_back(fresh_id());
            TokenCreated t{.value_hash = fmt::format("{:064x}", n),
                           .name = fmt::format("token {}", n)};
            t.one_time = chance(50);
            t.max_uses = chance(50) ? 0 : 5;
            if (chance(50)) {
                t.owner_id = pick(users_);
            }
            return {{"token", tokens_.back()}, of(t)};
        }
        const auto& t = pick(tokens_);
        switch (std::uniform_int_distribution<int>(0, 3)(random_)) {
            case 0:
                return {{"token", t}, of(TokenRenamed{.name = fmt::format("renamed token {}", n)})};
            case 1:
                return {{"token", t}, of(TokenDisabled{})};
            case 2:
                return {{"token", t}, of(TokenEnabled{})};
            default:
                return {{"token", t},
                        of(TokenUsed{.device_id = devices_.empty() ? "none" : pick(devices_)})};
        }
    }
    if (kind == 2 || kind == 3 || devices_.empty()) {
        if (devices_.empty() || chance(25)) {
            devices_.push_back(fresh_id());
            DeviceRegistered d{.hostname = fmt::format("host-{}", n),
                               .agent_version = "1.0",
                               .cert_fingerprint = fmt::format("fp{}", n),
                               .cert_serial = fmt::format("{:x}", n),
                               .registration_token_id = pick(tokens_)};
            d.cert_not_after =
                std::chrono::system_clock::time_point(std::chrono::seconds(1900000000));
            if (chance(50)) {
                d.assigned_user_id = pick(users_);
            }
            return {{"device", devices_.back()}, of(d)};
        }
        const auto& d = pick(devices_);
        switch (std::uniform_int_distribution<int>(0, 8)(random_)) {
            case 0: {
                DeviceHeartbeat hb;
                hb.agent_version = chance(30)
                                       ? std::optional<std::string>(fmt::format("1.{}", n % 5))
                                       : std::nullopt;
                hb.cpu_percent = 10.5;
                return {{"device", d}, of(hb)};
            }
            case 1:
                return {{"device", d},
                        of(DeviceLabelSet{.key = fmt::format("k{}", n % 4),
                                          .value = fmt::format("v{}", n)})};
            case 2:
                return {{"device", d}, of(DeviceLabelRemoved{.key = fmt::format("k{}", n % 4)})};
            case 3:
                return {{"device", d}, of(DeviceAssigned{.user_id = pick(users_)})};
            case 4:
                return {{"device", d}, of(DeviceUnassigned{})};
            case 5: {
                DeviceSyncIntervalSet s;
                s.sync_interval_minutes = static_cast<std::int32_t>(n % 60);
                return {{"device", d}, of(s)};
            }
            case 6:
                return {
                    {"device", d},
                    of(DeviceConnected{.agent_version = "1.1", .hostname = fmt::format("h{}", n)})};
            case 7:
                if (chance(20)) {
                    return {{"device", d}, of(DeviceDeleted{})};
                }
                [[fallthrough]];
            default:
                return {{"device", d}, of(DeviceDisconnected{})};
        }
    }
    if (kind == 4 || actions_.empty()) {
        if (actions_.empty() || chance(40)) {
            actions_.push_back(fresh_id());
            ActionCreated a{.name = fmt::format("action {}", n), .description = "d"};
            a.action_type = 200;
            a.params = {{"script", fmt::format("echo {}", n)}};
            a.timeout_seconds = 300;
            return {{"action", actions_.back()}, of(a)};
        }
        const auto& a = pick(actions_);
        if (chance(8)) {
            // Leaves its sets and ends its assignments; later events may still name it.
            return {{"action", a}, of(ActionDeleted{})};
        }
        switch (std::uniform_int_distribution<int>(0, 3)(random_)) {
            case 0:
                return {{"action", a},
                        of(ActionRenamed{.name = fmt::format("renamed action {}", n)})};
            case 1:
                return {{"action", a},
                        of(ActionParamsUpdated{.params = {{"script", fmt::format("echo {}", n)}}})};
            case 2:
                return {{"action", a},
                        of(ActionSigned{.signature = "c2ln", .params_canonical = "cA=="})};
            default:
                return {{"action", a},
                        of(ActionDescriptionUpdated{.description = fmt::format("d{}", n)})};
        }
    }
    if (kind == 5 || sets_.empty()) {
        if (sets_.empty() || chance(30)) {
            sets_.push_back(fresh_id());
            return {{"action_set", sets_.back()},
                    of(ActionSetCreated{.name = fmt::format("set {}", n), .description = ""})};
        }
        const auto& s = pick(sets_);
        if (chance(12)) {
            return {{"action_set", s}, of(ActionSetDeleted{})};
        }
        switch (std::uniform_int_distribution<int>(0, 3)(random_)) {
            case 0: {
                ActionSetMemberAdded m{.action_id = pick(actions_)};
                m.sort_order = static_cast<std::int32_t>(n % 10);
                return {{"action_set", s}, of(m)};
            }
            case 1:
                return {{"action_set", s}, of(ActionSetMemberRemoved{.action_id = pick(actions_)})};
            case 2: {
                ActionSetMemberReordered m{.action_id = pick(actions_)};
                m.sort_order = static_cast<std::int32_t>(n % 7);
                return {{"action_set", s}, of(m)};
            }
            default:
                return {{"action_set", s},
                        of(ActionSetRenamed{.name = fmt::format("renamed set {}", n)})};
        }
    }
    if (kind == 6 || definitions_.empty()) {
        if (definitions_.empty() || chance(30)) {
            definitions_.push_back(fresh_id());
            return {
                {"definition", definitions_.back()},
                of(DefinitionCreated{.name = fmt::format("definition {}", n), .description = ""})};
        }
        const auto& d = pick(definitions_);
        if (chance(12)) {
            return {{"definition", d}, of(DefinitionDeleted{})};
        }
        if (chance(55)) {
            DefinitionMemberAdded m{.action_set_id = pick(sets_)};
            m.sort_order = static_cast<std::int32_t>(n % 10);
            return {{"definition", d}, of(m)};
        }
        if (chance(40)) {
            DefinitionMemberReordered m{.action_set_id = pick(sets_)};
            m.sort_order = static_cast<std::int32_t>(n % 9);
            return {{"definition", d}, of(m)};
        }
        return {{"definition", d}, of(DefinitionMemberRemoved{.action_set_id = pick(sets_)})};
    }
    if (kind == 7 || groups_.empty()) {
        if (groups_.empty() || chance(30)) {
            groups_.push_back(fresh_id());
            return {{"device_group", groups_.back()},
                    of(DeviceGroupCreated{.name = fmt::format("group {}", n),
                                          .description = "",
                                          .is_dynamic = chance(40),
                                          .dynamic_query = "labels[\"env\"] equals \"prod\""})};
        }
        const auto& g = pick(groups_);
        switch (std::uniform_int_distribution<int>(0, 4)(random_)) {
            case 3:
                // Dynamic groups' memberships are events too: rebuilds must reproduce them.
                return {{"device_group", g},
                        of(DeviceGroupMembershipEvaluated{.added = {pick(devices_), pick(devices_)},
                                                          .removed = {pick(devices_)}})};
            case 4:
                return {{"device_group", g},
                        of(DeviceGroupQueryUpdated{
                            .is_dynamic = chance(50),
                            .dynamic_query = fmt::format("labels[\"n\"] equals \"{}\"", n)})};
            case 0:
                return {{"device_group", g},
                        of(DeviceGroupMemberAdded{.device_id = pick(devices_)})};
            case 1:
                return {{"device_group", g},
                        of(DeviceGroupMemberRemoved{.device_id = pick(devices_)})};
            default:
                return {{"device_group", g},
                        of(DeviceGroupRenamed{.name = fmt::format("renamed group {}", n)})};
        }
    }
    if (kind == 8) {
        if (assignments_.empty() || chance(50)) {
            assignments_.push_back(fresh_id());
            // Every kind of source, so that each kind of delete ends some assignments.
            const int source = std::uniform_int_distribution<int>(0, 2)(random_);
            AssignmentCreated a{
                .source_type = source == 0   ? "action"
                               : source == 1 ? "action_set"
                                             : "definition",
                .source_id = pick(source == 0   ? actions_
                                  : source == 1 ? sets_
                                                : definitions_),
                .target_type = "device",
                .target_id = fresh_id()};  // a fresh target keeps the natural key unique
            a.mode = static_cast<std::int32_t>(n % 3);
            return {{"assignment", assignments_.back()}, of(a)};
        }
        const auto& a = pick(assignments_);
        if (chance(50)) {
            AssignmentModeChanged m;
            m.mode = static_cast<std::int32_t>(n % 3);
            return {{"assignment", a}, of(m)};
        }
        return {{"assignment", a}, of(AssignmentDeleted{})};
    }
    if (kind == 9 || kind == 10) {
        if (executions_.empty() || chance(40)) {
            executions_.push_back(fresh_id());
            ExecutionCreated e{.device_id = pick(devices_)};
            e.action_type = 200;
            e.params = {{"script", "true"}};
            e.timeout_seconds = 60;
            return {{"execution", executions_.back()}, of(e)};
        }
        const auto& e = pick(executions_);
        switch (std::uniform_int_distribution<int>(0, 5)(random_)) {
            case 0:
                return {{"execution", e}, of(ExecutionDispatched{.device_id = pick(devices_)})};
            case 1:
                return {{"execution", e}, of(ExecutionStarted{})};
            case 2: {
                ExecutionCompleted c;
                c.duration_ms = static_cast<std::int64_t>(n);
                c.output = boost::json::object{{"stdout", "ok"}, {"exit_code", 0}};
                return {{"execution", e}, of(c)};
            }
            case 3: {
                ExecutionFailed f{.error = "boom"};
                f.duration_ms = 5;
                return {{"execution", e}, of(f)};
            }
            default: {
                OutputChunk c{.stream = "stdout", .data = fmt::format("line {}\n", n)};
                c.sequence = static_cast<std::int64_t>(n);
                return {{"execution", e}, of(c)};
            }
        }
    }
    UserSelectionChanged s{
        .device_id = pick(devices_), .source_type = "action", .source_id = pick(actions_)};
    s.selected = chance(50);
    return {{"user_selection", fresh_id()}, of(s)};
}

void RandomHistory::append(eventstore::EventStore& store, int count, int concurrency) {
    std::deque<std::future<AppendResult>> pending;
    for (int i = 0; i < count; ++i) {
        auto command = next();
        pending.push_back(store.append_async(command.stream, ExpectedVersion::any(),
                                             {command.event}, db::Actor::system("random-history")));
        while (static_cast<int>(pending.size()) >= concurrency) {
            pending.front().get();
            pending.pop_front();
        }
    }
    for (auto& f : pending) {
        f.get();
    }
}

}  // namespace pm::testing
