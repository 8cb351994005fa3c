// The one table of ControlService handlers. Adding an RPC is one line here and one method in
// its domain's file; validation, authorization and error mapping come from the adapter.
#include "control/handler_table.hpp"

#include <optional>
#include <tuple>
#include <type_traits>

#include <powermanage/auth/cookies.hpp>
#include <powermanage/db/errors.hpp>
#include <powermanage/rpc/interceptors.hpp>
#include <powermanage/validation/validator.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

/// The handler objects of the domains that have their own type.
struct DomainHandlers {
    explicit DomainHandlers(ControlService::Impl& s)
        : handlers(Sessions(s), Registration(s), Users(s), Devices(s), Tokens(s), Executions(s),
                   Actions(s), ActionSets(s), Definitions(s), Assignments(s), Selections(s),
                   ConfiguredDispatch(s), DeviceGroups(s)) {}
    std::tuple<Sessions, Registration, Users, Devices, Tokens, Executions, Actions, ActionSets,
               Definitions, Assignments, Selections, ConfiguredDispatch, DeviceGroups>
        handlers;
};

namespace {

constexpr std::string_view kServicePrefix = "pm.v1.ControlService.";

// Who may call a method: anyone (Register, Login, ...) or a caller with a session.
enum class Access { session, anyone };

// When the policy's database check runs: before the handler (every command), or in the
// handler's one read (Impl::read_one), which saves its round trip on the hottest reads.
enum class Check { before, in_read };

// Splits a handler's member-function pointer into its domain, request and response types.
template <class F>
struct HandlerTraits;
template <class D, class Req, class Resp>
struct HandlerTraits<Resp (D::*)(Call&, const Req&)> {
    using Domain = D;
    using Request = Req;
    using Response = Resp;
    static constexpr bool awaitable = false;  // blocking: runs on a worker
};
// A handler that awaits its reads itself (db::AsyncReadPool) runs on the I/O thread.
template <class D, class Req, class Resp>
struct HandlerTraits<rpc::Task<Resp> (D::*)(Call&, const Req&)> {
    using Domain = D;
    using Request = Req;
    using Response = Resp;
    static constexpr bool awaitable = true;
};

// Class 08 (connection), 57 (shutting down, starting up, pool wait over) and 53 (out of
// resources): the request itself was fine, the caller should retry.
bool is_outage(const db::DatabaseError& error) {
    const std::string& state = error.sqlstate();
    return error.is_connection_failure() || state.starts_with("57") || state.starts_with("53");
}

[[noreturn]] void fail_unavailable() {
    fail(rpc::Code::unavailable,
         "the database cannot serve this request right now; retry in a moment");
}

// Validation by the contract's rules, then the policy's role and condition (deferred to the
// handler's read with Check::in_read). Throws what the caller is told; no database access
// except the condition's check when it is not deferred.
void admit(ControlService::Impl& impl, const std::string& name, Access access, Check check,
           rpc::CallContext& ctx, const google::protobuf::Message& request, Call& call) {
    auto violations = validation::RuleSet::contract().validate(request);
    if (!violations.empty()) {
        fail(rpc::Code::invalid_argument, validation::describe(violations));
    }
    if (access != Access::session) {
        return;
    }
    call.caller_id = ctx.principal;
    auto role = ctx.attributes.find(std::string(rpc::kRoleAttribute));
    call.role = role == ctx.attributes.end() ? std::string() : role->second;
    auto permission = impl.policy_.lookup(name, call.role);
    if (!permission) {
        fail(rpc::Code::permission_denied, "permission denied");
    }
    call.permission = *permission;
    if (check == Check::in_read) {
        call.deferred_check = impl.condition_check(call, request);
    } else {
        impl.authorize(call, request);
    }
}

// RefreshToken and Logout take the refresh token from the pm_refresh cookie when the body
// leaves it empty (the contract's rule): a browser cannot read its HttpOnly cookie, so this
// is how the console renews and ends its session. `filled` holds the copy when one is made.
template <class Request>
const Request& with_refresh_cookie(const Request& request, const rpc::CallContext& ctx,
                                   std::optional<Request>& filled) {
    if constexpr (std::is_same_v<Request, pm::v1::RefreshTokenRequest> ||
                  std::is_same_v<Request, pm::v1::LogoutRequest>) {
        if (request.refresh_token().empty()) {
            if (auto cookie = rpc::cookie_value(ctx.request_headers, auth::kRefreshCookie);
                cookie && !cookie->empty()) {
                filled.emplace(request);
                filled->set_refresh_token(*cookie);
                return *filled;
            }
        }
    }
    return request;
}

class Registrar {
public:
    Registrar(rpc::Server* server, ControlService::Impl* service)
        : server_(server), service_(service) {}

    template <auto Handler>
    void add(std::string_view method, Access access = Access::session,
             Check check = Check::before) {
        using Traits = HandlerTraits<decltype(Handler)>;
        const std::string full = std::string(kServicePrefix) + std::string(method);
        methods_.push_back(full);
        if (server_ == nullptr) {
            return;
        }
        auto& domain = this->domain<typename Traits::Domain>();
        auto fn = [&domain](Call& call, const typename Traits::Request& request) {
            return (domain.*Handler)(call, request);
        };
        if constexpr (Traits::awaitable) {
            adapt_awaitable<typename Traits::Request, typename Traits::Response>(
                full, std::string(method), access, check, std::move(fn));
        } else {
            adapt<typename Traits::Request, typename Traits::Response>(
                full, std::string(method), access, check, std::move(fn));
        }
    }

    std::vector<std::string> methods() && { return std::move(methods_); }

private:
    template <class D>
    D& domain() {
        if constexpr (std::is_same_v<D, ControlService::Impl>) {
            return *service_;
        } else {
            return std::get<D>(service_->domains_->handlers);
        }
    }

    // Validation by the contract's rules, the policy's condition, then the handler, all on a
    // worker thread. A database that cannot be reached answers unavailable: the caller should
    // retry, nothing is wrong with the request.
    template <class Request, class Response, class Fn>
    void adapt(const std::string& full, std::string name, Access access, Check check, Fn fn) {
        ControlService::Impl& impl = *service_;
        std::function<rpc::Task<rpc::Result<Response>>(rpc::CallContext&, const Request&)> adapted =
            [&impl, fn, name = std::move(name), access, check](
                rpc::CallContext& ctx, const Request& sent) -> rpc::Task<rpc::Result<Response>> {
            std::optional<Request> filled;
            const Request& request = with_refresh_cookie(sent, ctx, filled);
            Response response;
            co_await impl.workers_.run([&] {
                Call call{ctx, {}, {}, {}, {}};
                try {
                    admit(impl, name, access, check, ctx, request, call);
                    response = fn(call, request);
                    // A handler that answered without its read still owes the check.
                    if (call.deferred_check) {
                        impl.run_check(*call.deferred_check);
                    }
                } catch (const db::DatabaseError& error) {
                    if (is_outage(error)) {
                        fail_unavailable();
                    }
                    throw;
                }
            });
            co_return response;
        };
        server_->add_unary<Request, Response>(full, std::move(adapted));
    }

    // adapt() for a handler that awaits its reads: the same steps and error mapping, on the
    // I/O thread, which a read through db::AsyncReadPool does not block.
    template <class Request, class Response, class Fn>
    void adapt_awaitable(const std::string& full, std::string name, Access access, Check check,
                         Fn fn) {
        ControlService::Impl& impl = *service_;
        std::function<rpc::Task<rpc::Result<Response>>(rpc::CallContext&, const Request&)> adapted =
            [&impl, fn, name = std::move(name), access, check](
                rpc::CallContext& ctx, const Request& sent) -> rpc::Task<rpc::Result<Response>> {
            std::optional<Request> filled;
            const Request& request = with_refresh_cookie(sent, ctx, filled);
            Call call{ctx, {}, {}, {}, {}};
            try {
                admit(impl, name, access, check, ctx, request, call);
                Response response = co_await fn(call, request);
                if (call.deferred_check) {
                    co_await impl.run_check_async(std::move(*call.deferred_check));
                }
                co_return response;
            } catch (const db::DatabaseError& error) {
                if (!is_outage(error)) {
                    throw;
                }
            }
            fail_unavailable();  // only an outage gets here: the try returns or throws
        };
        server_->add_unary<Request, Response>(full, std::move(adapted));
    }

    rpc::Server* server_;
    ControlService::Impl* service_;
    std::vector<std::string> methods_;
};

// The table.
void register_all(Registrar& r) {
    // sessions.cpp, registration.cpp
    r.add<&Registration::register_device>("Register", Access::anyone);
    r.add<&Sessions::login>("Login", Access::anyone);
    r.add<&Sessions::refresh_token>("RefreshToken", Access::anyone);
    r.add<&Sessions::logout>("Logout", Access::anyone);
    r.add<&Sessions::get_current_user>("GetCurrentUser");
    // users.cpp
    r.add<&Users::create_user>("CreateUser");
    r.add<&Users::get_user>("GetUser");
    r.add<&Users::list_users>("ListUsers");
    r.add<&Users::update_user_email>("UpdateUserEmail");
    r.add<&Users::update_user_password>("UpdateUserPassword");
    r.add<&Users::update_user_role>("UpdateUserRole");
    r.add<&Users::set_user_disabled>("SetUserDisabled");
    r.add<&Users::delete_user>("DeleteUser");
    // devices.cpp
    r.add<&Devices::list_devices>("ListDevices");
    r.add<&Devices::get_device>("GetDevice", Access::session, Check::in_read);
    r.add<&Devices::set_device_label>("SetDeviceLabel");
    r.add<&Devices::remove_device_label>("RemoveDeviceLabel");
    r.add<&Devices::assign_device>("AssignDevice");
    r.add<&Devices::unassign_device>("UnassignDevice");
    r.add<&Devices::set_device_sync_interval>("SetDeviceSyncInterval");
    r.add<&Devices::delete_device>("DeleteDevice");
    // tokens.cpp
    r.add<&Tokens::create_token>("CreateToken");
    r.add<&Tokens::get_token>("GetToken");
    r.add<&Tokens::list_tokens>("ListTokens");
    r.add<&Tokens::rename_token>("RenameToken");
    r.add<&Tokens::set_token_disabled>("SetTokenDisabled");
    r.add<&Tokens::delete_token>("DeleteToken");
    // actions.cpp
    r.add<&Actions::create_action>("CreateAction");
    r.add<&Actions::get_action>("GetAction");
    r.add<&Actions::list_actions>("ListActions");
    r.add<&Actions::rename_action>("RenameAction");
    r.add<&Actions::update_action_description>("UpdateActionDescription");
    r.add<&Actions::update_action_params>("UpdateActionParams");
    r.add<&Actions::delete_action>("DeleteAction");
    // action_sets.cpp
    r.add<&ActionSets::create_action_set>("CreateActionSet");
    r.add<&ActionSets::get_action_set>("GetActionSet");
    r.add<&ActionSets::list_action_sets>("ListActionSets");
    r.add<&ActionSets::rename_action_set>("RenameActionSet");
    r.add<&ActionSets::update_action_set_description>("UpdateActionSetDescription");
    r.add<&ActionSets::delete_action_set>("DeleteActionSet");
    r.add<&ActionSets::add_action_to_set>("AddActionToSet");
    r.add<&ActionSets::remove_action_from_set>("RemoveActionFromSet");
    r.add<&ActionSets::reorder_action_in_set>("ReorderActionInSet");
    // definitions.cpp
    r.add<&Definitions::create_definition>("CreateDefinition");
    r.add<&Definitions::get_definition>("GetDefinition");
    r.add<&Definitions::list_definitions>("ListDefinitions");
    r.add<&Definitions::rename_definition>("RenameDefinition");
    r.add<&Definitions::update_definition_description>("UpdateDefinitionDescription");
    r.add<&Definitions::delete_definition>("DeleteDefinition");
    r.add<&Definitions::add_action_set_to_definition>("AddActionSetToDefinition");
    r.add<&Definitions::remove_action_set_from_definition>("RemoveActionSetFromDefinition");
    r.add<&Definitions::reorder_action_set_in_definition>("ReorderActionSetInDefinition");
    // assignments.cpp, selections.cpp
    r.add<&Assignments::create_assignment>("CreateAssignment");
    r.add<&Assignments::delete_assignment>("DeleteAssignment");
    r.add<&Assignments::list_assignments>("ListAssignments");
    r.add<&Assignments::get_device_assignments>("GetDeviceAssignments");
    r.add<&Selections::set_user_selection>("SetUserSelection");
    r.add<&Selections::list_available_actions>("ListAvailableActions");
    // device_groups.cpp
    r.add<&DeviceGroups::create_device_group>("CreateDeviceGroup");
    r.add<&DeviceGroups::get_device_group>("GetDeviceGroup");
    r.add<&DeviceGroups::list_device_groups>("ListDeviceGroups");
    r.add<&DeviceGroups::rename_device_group>("RenameDeviceGroup");
    r.add<&DeviceGroups::update_device_group_description>("UpdateDeviceGroupDescription");
    r.add<&DeviceGroups::update_device_group_query>("UpdateDeviceGroupQuery");
    r.add<&DeviceGroups::delete_device_group>("DeleteDeviceGroup");
    r.add<&DeviceGroups::add_device_to_group>("AddDeviceToGroup");
    r.add<&DeviceGroups::remove_device_from_group>("RemoveDeviceFromGroup");
    r.add<&DeviceGroups::validate_dynamic_query>("ValidateDynamicQuery");
    r.add<&DeviceGroups::evaluate_dynamic_group>("EvaluateDynamicGroup");
    r.add<&DeviceGroups::set_device_group_sync_interval>("SetDeviceGroupSyncInterval");
    r.add<&DeviceGroups::dispatch_to_group>("DispatchToGroup");
    // executions.cpp, configured_dispatch.cpp
    r.add<&Executions::dispatch_action>("DispatchAction");
    r.add<&Executions::dispatch_to_multiple>("DispatchToMultiple");
    r.add<&ConfiguredDispatch::dispatch_assigned_actions>("DispatchAssignedActions");
    r.add<&ConfiguredDispatch::dispatch_action_set>("DispatchActionSet");
    r.add<&ConfiguredDispatch::dispatch_definition>("DispatchDefinition");
    r.add<&Executions::get_execution>("GetExecution");
    r.add<&Executions::list_executions>("ListExecutions");
}

}  // namespace

std::vector<std::string> install_handlers(rpc::Server& server, ControlService::Impl& service) {
    if (!service.domains_) {
        service.domains_ = std::make_shared<DomainHandlers>(service);
    }
    Registrar registrar(&server, &service);
    register_all(registrar);
    return std::move(registrar).methods();
}

std::vector<std::string> handled_methods() {
    Registrar registrar(nullptr, nullptr);
    register_all(registrar);
    return std::move(registrar).methods();
}

}  // namespace pm::control
