// The stored-action RPCs over real HTTP on a real database: each one's success and refusals,
// params checked against the type and returned for every type, the schedule kept, the CA's
// signature made with every params change, stored through the log (so a rebuild keeps it) and
// verifiable as an agent verifies it, and what a delete takes with it.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/common/ulid.hpp>

#include "configuration_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    }
    return out;
}

// Verifies as a Feb-2026 agent does, with nothing of the server's code: the public key of the
// CA certificate, SHA-256 over "<id>:<type>:<standard base64 of params_canonical>".
bool agent_verifies(const std::string& ca_pem_path, const std::string& id, int type,
                    const std::string& params_canonical, const std::string& signature) {
    std::ifstream file(ca_pem_path);
    std::stringstream pem;
    pem << file.rdbuf();
    const std::string text = pem.str();
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) {
        return false;
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(X509_get_pubkey(cert.get()),
                                                            EVP_PKEY_free);
    std::string encoded(4 * ((params_canonical.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(params_canonical.data()),
                                  static_cast<int>(params_canonical.size()));
    encoded.resize(static_cast<std::size_t>(n));
    const std::string input = id + ":" + std::to_string(type) + ":" + encoded;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
}

class ActionsTest : public ConfigurationTest {
protected:
    Reply<pm::v1::GetActionResponse> get(const std::string& id, const std::string& bearer = {}) {
        pm::v1::GetActionRequest request;
        request.set_id(id);
        return call<pm::v1::GetActionResponse>("GetAction", request,
                                               bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::CreateActionResponse> create(const pm::v1::CreateActionRequest& request) {
        return call<pm::v1::CreateActionResponse>("CreateAction", request, admin_token());
    }
    Reply<pm::v1::UpdateActionResponse> rename(const std::string& id, const std::string& name) {
        pm::v1::RenameActionRequest request;
        request.set_id(id);
        request.set_name(name);
        return call<pm::v1::UpdateActionResponse>("RenameAction", request, admin_token());
    }
    Reply<pm::v1::DeleteActionResponse> remove(const std::string& id) {
        pm::v1::DeleteActionRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteActionResponse>("DeleteAction", request, admin_token());
    }
    // The stored (signature, params_canonical) of an action, as raw bytes.
    std::pair<std::string, std::string> stored_signature(const std::string& id) {
        auto rows =
            sql("SELECT encode(signature, 'hex'), encode(params_canonical, 'hex') "
                "FROM actions_projection WHERE id = $1",
                {id});
        EXPECT_EQ(rows.rows(), 1);
        return {from_hex(rows.text(0, 0)), from_hex(rows.text(0, 1))};
    }
    void expect_signed(const std::string& id, int type, const std::string& canonical) {
        const auto [signature, stored_canonical] = stored_signature(id);
        EXPECT_FALSE(signature.empty());
        EXPECT_EQ(stored_canonical, canonical);
        EXPECT_TRUE(host_->authority().verify_action(id, type, stored_canonical, signature));
        EXPECT_TRUE(
            agent_verifies((dir_ / "ca.crt").string(), id, type, stored_canonical, signature));
        EXPECT_FALSE(
            agent_verifies((dir_ / "ca.crt").string(), id, type, stored_canonical + " ", signature))
            << "a signature that verifies anything proves nothing";
    }
};

TEST_F(ActionsTest, CreateStoresParamsScheduleAndDefaultTimeoutAndSignsThem) {
    pm::v1::CreateActionRequest request;
    request.set_name("install htop");
    request.set_description("the pager");
    request.set_type(pm::v1::ACTION_TYPE_SHELL);
    request.mutable_shell()->set_script("apt-get install -y htop");
    request.mutable_schedule()->set_cron("0 3 * * *");
    request.mutable_schedule()->set_run_on_assign(true);
    auto created = create(request);
    ASSERT_OK(created);
    const auto& action = created.response.action();
    EXPECT_EQ(action.id().size(), 26u);
    EXPECT_EQ(action.name(), "install htop");
    EXPECT_EQ(action.timeout_seconds(), 300) << "a timeout of 0 runs with the default 300 s";
    EXPECT_EQ(action.shell().script(), "apt-get install -y htop");
    EXPECT_EQ(action.schedule().cron(), "0 3 * * *");
    EXPECT_TRUE(action.schedule().run_on_assign());
    EXPECT_FALSE(action.created_by().empty());
    EXPECT_GT(action.created_at().seconds(), 0);

    auto got = get(action.id());
    ASSERT_OK(got);
    EXPECT_EQ(got.response.action().SerializeAsString(), action.SerializeAsString());
    expect_signed(action.id(), pm::v1::ACTION_TYPE_SHELL,
                  R"({"script":"apt-get install -y htop"})");
}

TEST_F(ActionsTest, EveryTypeKeepsItsParams) {
    struct Case {
        pm::v1::ActionType type;
        std::function<void(pm::v1::CreateActionRequest&)> set;
        std::function<bool(const pm::v1::ManagedAction&)> check;
    };
    const std::vector<Case> cases = {
        {pm::v1::ACTION_TYPE_DEB,
         [](auto& r) { r.mutable_app()->set_url("https://example.com/a.deb"); },
         [](const auto& a) { return a.app().url() == "https://example.com/a.deb"; }},
        {pm::v1::ACTION_TYPE_RPM,
         [](auto& r) { r.mutable_app()->set_url("https://example.com/a.rpm"); },
         [](const auto& a) { return a.app().url() == "https://example.com/a.rpm"; }},
        {pm::v1::ACTION_TYPE_FLATPAK,
         [](auto& r) { r.mutable_flatpak()->set_app_id("org.gimp.GIMP"); },
         [](const auto& a) { return a.flatpak().app_id() == "org.gimp.GIMP"; }},
        {pm::v1::ACTION_TYPE_PACKAGE, [](auto& r) { r.mutable_package()->set_name("htop"); },
         [](const auto& a) { return a.package().name() == "htop"; }},
        {pm::v1::ACTION_TYPE_DIRECTORY, [](auto& r) { r.mutable_directory()->set_path("/srv"); },
         [](const auto& a) { return a.directory().path() == "/srv"; }},
        // No params at all: an update needs none, and still comes back as an `update`.
        {pm::v1::ACTION_TYPE_UPDATE, [](auto&) {}, [](const auto& a) { return a.has_update(); }},
    };
    int n = 0;
    for (const auto& c : cases) {
        pm::v1::CreateActionRequest request;
        request.set_name("action " + std::to_string(++n));
        request.set_type(c.type);
        c.set(request);
        auto created = create(request);
        ASSERT_OK(created);
        auto got = get(created.response.action().id());
        ASSERT_OK(got);
        EXPECT_TRUE(c.check(got.response.action())) << pm::v1::ActionType_Name(c.type);
    }
}

TEST_F(ActionsTest, ParamsMustBeThoseOfTheType) {
    pm::v1::CreateActionRequest request;
    request.set_name("mismatch");
    request.set_type(pm::v1::ACTION_TYPE_SHELL);
    request.mutable_package()->set_name("htop");
    auto mismatch = create(request);
    EXPECT_CODE(mismatch, Code::invalid_argument);
    EXPECT_NE(mismatch.status.message.find("`shell`"), std::string::npos)
        << mismatch.status.message;

    request.clear_package();
    auto missing = create(request);
    EXPECT_CODE(missing, Code::invalid_argument);
    EXPECT_NE(missing.status.message.find("script"), std::string::npos) << missing.status.message;

    request.set_type(static_cast<pm::v1::ActionType>(999));
    EXPECT_CODE(create(request), Code::invalid_argument);

    pm::v1::CreateActionRequest no_name;
    no_name.set_type(pm::v1::ACTION_TYPE_UPDATE);
    EXPECT_CODE(create(no_name), Code::invalid_argument);
    EXPECT_EQ(sql("SELECT count(*) FROM actions_projection").int64(0, 0), 0);
}

TEST_F(ActionsTest, NamesAreUniqueAmongLiveActions) {
    const auto first = new_action("restart nginx");
    pm::v1::CreateActionRequest request;
    request.set_name("restart nginx");
    request.set_type(pm::v1::ACTION_TYPE_SHELL);
    request.mutable_shell()->set_script("true");
    auto duplicate = create(request);
    EXPECT_CODE(duplicate, Code::already_exists);
    EXPECT_NE(duplicate.status.message.find("restart nginx"), std::string::npos);

    const auto second = new_action("other");
    EXPECT_CODE(rename(second, "restart nginx"), Code::already_exists);
    EXPECT_OK(rename(second, "other"));  // its own name is no clash

    ASSERT_OK(remove(first));
    auto renamed = rename(second, "restart nginx");
    ASSERT_OK(renamed);
    EXPECT_EQ(renamed.response.action().name(), "restart nginx");
}

TEST_F(ActionsTest, UpdateParamsSignsAgainAndARebuildKeepsTheSignature) {
    const auto id = new_action("script", "echo one");
    const auto before = stored_signature(id);

    pm::v1::UpdateActionParamsRequest request;
    request.set_id(id);
    request.mutable_shell()->set_script("echo two");
    request.set_timeout_seconds(60);
    request.mutable_schedule()->set_interval_hours(4);
    auto updated = call<pm::v1::UpdateActionResponse>("UpdateActionParams", request, admin_token());
    ASSERT_OK(updated);
    EXPECT_EQ(updated.response.action().shell().script(), "echo two");
    EXPECT_EQ(updated.response.action().timeout_seconds(), 60);
    EXPECT_EQ(updated.response.action().schedule().interval_hours(), 4);
    expect_signed(id, pm::v1::ACTION_TYPE_SHELL, R"({"script":"echo two"})");
    EXPECT_NE(stored_signature(id), before);

    // Without params, timeout or schedule: all kept, and the action is still signed.
    pm::v1::UpdateActionParamsRequest keep;
    keep.set_id(id);
    auto kept = call<pm::v1::UpdateActionResponse>("UpdateActionParams", keep, admin_token());
    ASSERT_OK(kept);
    EXPECT_EQ(kept.response.action().shell().script(), "echo two");
    EXPECT_EQ(kept.response.action().timeout_seconds(), 60);
    EXPECT_EQ(kept.response.action().schedule().interval_hours(), 4);
    expect_signed(id, pm::v1::ACTION_TYPE_SHELL, R"({"script":"echo two"})");

    // An empty schedule removes it.
    pm::v1::UpdateActionParamsRequest clear;
    clear.set_id(id);
    clear.mutable_schedule();
    auto cleared = call<pm::v1::UpdateActionResponse>("UpdateActionParams", clear, admin_token());
    ASSERT_OK(cleared);
    EXPECT_FALSE(cleared.response.action().has_schedule());

    // Params of another type are refused, and change nothing.
    pm::v1::UpdateActionParamsRequest wrong;
    wrong.set_id(id);
    wrong.mutable_file()->set_path("/etc/motd");
    EXPECT_CODE(call<pm::v1::UpdateActionResponse>("UpdateActionParams", wrong, admin_token()),
                Code::invalid_argument);

    const auto signed_now = stored_signature(id);
    rebuild();
    EXPECT_EQ(stored_signature(id), signed_now);
    expect_signed(id, pm::v1::ACTION_TYPE_SHELL, R"({"script":"echo two"})");
}

TEST_F(ActionsTest, RenameAndDescribe) {
    const auto id = new_action("a");
    auto renamed = rename(id, "b");
    ASSERT_OK(renamed);
    EXPECT_EQ(renamed.response.action().name(), "b");
    pm::v1::UpdateActionDescriptionRequest request;
    request.set_id(id);
    request.set_description("what it does");
    auto described =
        call<pm::v1::UpdateActionResponse>("UpdateActionDescription", request, admin_token());
    ASSERT_OK(described);
    EXPECT_EQ(described.response.action().description(), "what it does");
    EXPECT_EQ(get(id).response.action().name(), "b");
}

TEST_F(ActionsTest, MissingAndDeletedActionsAreNotFound) {
    const auto id = new_action("doomed");
    ASSERT_OK(remove(id));
    for (const auto& target : {id, new_ulid()}) {
        EXPECT_CODE(get(target), Code::not_found);
        EXPECT_CODE(rename(target, "x"), Code::not_found);
        EXPECT_CODE(remove(target), Code::not_found);
        pm::v1::UpdateActionDescriptionRequest describe;
        describe.set_id(target);
        EXPECT_CODE(
            call<pm::v1::UpdateActionResponse>("UpdateActionDescription", describe, admin_token()),
            Code::not_found);
        pm::v1::UpdateActionParamsRequest params;
        params.set_id(target);
        EXPECT_CODE(call<pm::v1::UpdateActionResponse>("UpdateActionParams", params, admin_token()),
                    Code::not_found);
    }
    EXPECT_CODE(get("not-a-ulid"), Code::invalid_argument);
    auto list = call<pm::v1::ListActionsResponse>("ListActions", pm::v1::ListActionsRequest{},
                                                  admin_token());
    ASSERT_OK(list);
    EXPECT_EQ(list.response.total_count(), 0);
}

TEST_F(ActionsTest, ListPagesByNameAndFiltersByType) {
    for (const char* name : {"e", "b", "d", "a", "c"}) {
        new_action(name);
    }
    pm::v1::CreateActionRequest update;
    update.set_name("f update");
    update.set_type(pm::v1::ACTION_TYPE_UPDATE);
    ASSERT_OK(create(update));

    std::vector<std::string> names;
    pm::v1::ListActionsRequest request;
    request.set_page_size(2);
    request.set_type_filter(pm::v1::ACTION_TYPE_SHELL);
    for (int pages = 0; pages < 5; ++pages) {
        auto page = call<pm::v1::ListActionsResponse>("ListActions", request, admin_token());
        ASSERT_OK(page);
        EXPECT_EQ(page.response.total_count(), 5);
        EXPECT_LE(page.response.actions_size(), 2);
        for (const auto& a : page.response.actions()) {
            names.push_back(a.name());
        }
        if (page.response.next_page_token().empty()) {
            break;
        }
        request.set_page_token(page.response.next_page_token());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

    pm::v1::ListActionsRequest all;
    all.set_page_token("garbage");
    EXPECT_CODE(call<pm::v1::ListActionsResponse>("ListActions", all, admin_token()),
                Code::invalid_argument);
    all.clear_page_token();
    EXPECT_EQ(
        call<pm::v1::ListActionsResponse>("ListActions", all, admin_token()).response.total_count(),
        6);
}

TEST_F(ActionsTest, DeleteLeavesEverySetAndEndsItsAssignments) {
    const auto action = new_action("leaving");
    const auto kept = new_action("staying");
    const auto set = new_set("set");
    for (const auto& [id, order] : {std::pair{action, 1}, std::pair{kept, 2}}) {
        pm::v1::AddActionToSetRequest add;
        add.set_set_id(set);
        add.set_action_id(id);
        add.set_sort_order(order);
        ASSERT_OK(call<pm::v1::AddActionToSetResponse>("AddActionToSet", add, admin_token()));
    }
    const auto assignment = append_assignment("action", action);
    const auto other_assignment = append_assignment("action", kept);
    ASSERT_TRUE(assignment_live(assignment));

    ASSERT_OK(remove(action));
    pm::v1::GetActionSetRequest get_set;
    get_set.set_id(set);
    auto got = call<pm::v1::GetActionSetResponse>("GetActionSet", get_set, admin_token());
    ASSERT_OK(got);
    ASSERT_EQ(got.response.members_size(), 1);
    EXPECT_EQ(got.response.members(0).action_id(), kept);
    EXPECT_EQ(got.response.set().member_count(), 1);
    EXPECT_FALSE(assignment_live(assignment));
    EXPECT_TRUE(assignment_live(other_assignment));

    rebuild();
    EXPECT_FALSE(assignment_live(assignment));
    EXPECT_TRUE(assignment_live(other_assignment));
    EXPECT_EQ(call<pm::v1::GetActionSetResponse>("GetActionSet", get_set, admin_token())
                  .response.members_size(),
              1);
}

TEST_F(ActionsTest, OnlyAdminsMayCallTheActionRpcs) {
    const auto id = new_action("guarded");
    for (const auto& [role, token] : non_admins()) {
        SCOPED_TRACE(role);
        pm::v1::CreateActionRequest create_request;
        create_request.set_name("x");
        create_request.set_type(pm::v1::ACTION_TYPE_UPDATE);
        EXPECT_CODE(call<pm::v1::CreateActionResponse>("CreateAction", create_request, token),
                    Code::permission_denied);
        EXPECT_CODE(get(id, token), Code::permission_denied);
        EXPECT_CODE(
            call<pm::v1::ListActionsResponse>("ListActions", pm::v1::ListActionsRequest{}, token),
            Code::permission_denied);
        pm::v1::RenameActionRequest rename_request;
        rename_request.set_id(id);
        rename_request.set_name("y");
        EXPECT_CODE(call<pm::v1::UpdateActionResponse>("RenameAction", rename_request, token),
                    Code::permission_denied);
        pm::v1::UpdateActionDescriptionRequest describe;
        describe.set_id(id);
        EXPECT_CODE(call<pm::v1::UpdateActionResponse>("UpdateActionDescription", describe, token),
                    Code::permission_denied);
        pm::v1::UpdateActionParamsRequest params;
        params.set_id(id);
        EXPECT_CODE(call<pm::v1::UpdateActionResponse>("UpdateActionParams", params, token),
                    Code::permission_denied);
        pm::v1::DeleteActionRequest del;
        del.set_id(id);
        EXPECT_CODE(call<pm::v1::DeleteActionResponse>("DeleteAction", del, token),
                    Code::permission_denied);
    }
    EXPECT_OK(get(id));
    EXPECT_EQ(get(id).response.action().name(), "guarded");
}

}  // namespace
}  // namespace pm::testing
