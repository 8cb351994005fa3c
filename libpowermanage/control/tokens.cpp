// The registration-token RPCs. The secret is shown once, in CreateToken's answer; only its
// SHA-256 is stored. A console user's token is always one-time, expires in 7 days and belongs
// to them, and the devices registered with it are assigned to them.
#include <fmt/format.h>
#include <openssl/rand.h>

#include <powermanage/common/base64.hpp>
#include <powermanage/eventstore/events.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

es::StreamId token_stream(const std::string& id) {
    return {std::string(es::kTokenStream), id};
}

// 32 random bytes in the base64url alphabet with padding: 44 characters, as the reference
// makes them, so that existing install scripts that check the format keep working.
std::string new_token_value() {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        throw std::runtime_error("the system's random number generator failed");
    }
    std::string out =
        pm::base64_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    for (char& c : out) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return out;
}

constexpr std::chrono::hours kUserTokenLifetime{24 * 7};

}  // namespace

pm::v1::CreateTokenResponse Tokens::create_token(Call& call,
                                                 const pm::v1::CreateTokenRequest& request) {
    const auto now = service_.clock_.now();
    es::TokenCreated created;
    created.name = request.name();
    if (call.is_admin()) {
        created.one_time = request.one_time();
        created.max_uses = request.max_uses();
        if (request.has_expires_at()) {
            const auto expires = to_time_point(request.expires_at());
            if (expires <= now) {
                fail(rpc::Code::invalid_argument,
                     "expires_at is in the past; give a future time or none for no expiry");
            }
            created.expires_at = std::chrono::time_point_cast<std::chrono::seconds>(expires);
        }
    } else {
        created.one_time = true;
        created.max_uses = 1;
        created.expires_at =
            std::chrono::time_point_cast<std::chrono::seconds>(now + kUserTokenLifetime);
        created.owner_id = call.caller_id;
    }
    const std::string value = new_token_value();
    created.value_hash = sha256_hex(value);
    const std::string id = service_.ids_.next_string();
    service_.append(call, token_stream(id), es::ExpectedVersion::no_stream(),
                    {es::NewEvent::of(created)});
    auto token = service_.read(call, [&](db::Transaction& tx) { return find_token(tx, id); });
    if (!token) {
        fail(rpc::Code::internal, "the token was created but cannot be service_.read back");
    }
    token->set_value(value);
    pm::v1::CreateTokenResponse response;
    *response.mutable_token() = std::move(*token);
    return response;
}

pm::v1::GetTokenResponse Tokens::get_token(Call& call, const pm::v1::GetTokenRequest& request) {
    auto token =
        service_.read(call, [&](db::Transaction& tx) { return find_token(tx, request.id()); });
    if (!token) {
        fail(rpc::Code::not_found, "token not found");
    }
    pm::v1::GetTokenResponse response;
    *response.mutable_token() = std::move(*token);
    return response;
}

pm::v1::ListTokensResponse Tokens::list_tokens(Call& call,
                                               const pm::v1::ListTokensRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    std::vector<db::Param> params;
    std::string where = "NOT is_deleted";
    if (!request.include_disabled()) {
        where += " AND NOT disabled";
    }
    if (call.scoped()) {
        params.emplace_back(call.caller_id);
        where += " AND owner_id = $1";
    }
    pm::v1::ListTokensResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM tokens_projection WHERE " + where, params);
        const auto n = params.size();
        params.emplace_back(std::to_string(page.limit));
        params.emplace_back(std::to_string(page.offset));
        auto rows = tx.exec(fmt::format("SELECT {} FROM tokens_projection WHERE {} ORDER BY "
                                        "created_at DESC, id DESC LIMIT ${} OFFSET ${}",
                                        kTokenColumns, where, n + 1, n + 2),
                            params);
        for (int i = 0; i < rows.rows(); ++i) {
            read_token(rows, i, response.add_tokens());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

namespace {

pm::v1::RegistrationToken update_token(ControlService::Impl& impl, Call& call,
                                       const std::string& id, es::NewEvent event) {
    auto version = impl.read(call, [&](db::Transaction& tx) {
        return live_version(tx, "tokens_projection", es::kTokenStream, id);
    });
    if (!version) {
        fail(rpc::Code::not_found, "token not found");
    }
    impl.append(call, token_stream(id), es::ExpectedVersion::exactly(*version), {std::move(event)});
    auto token = impl.read(call, [&](db::Transaction& tx) { return find_token(tx, id); });
    return token ? std::move(*token) : pm::v1::RegistrationToken{};
}

}  // namespace

pm::v1::UpdateTokenResponse Tokens::rename_token(Call& call,
                                                 const pm::v1::RenameTokenRequest& request) {
    pm::v1::UpdateTokenResponse response;
    *response.mutable_token() = update_token(service_, call, request.id(),
                                             es::NewEvent::of(es::TokenRenamed{request.name()}));
    return response;
}

pm::v1::UpdateTokenResponse Tokens::set_token_disabled(
    Call& call, const pm::v1::SetTokenDisabledRequest& request) {
    pm::v1::UpdateTokenResponse response;
    *response.mutable_token() =
        update_token(service_, call, request.id(),
                     request.disabled() ? es::NewEvent::of(es::TokenDisabled{})
                                        : es::NewEvent::of(es::TokenEnabled{}));
    return response;
}

pm::v1::DeleteTokenResponse Tokens::delete_token(Call& call,
                                                 const pm::v1::DeleteTokenRequest& request) {
    update_token(service_, call, request.id(), es::NewEvent::of(es::TokenDeleted{}));
    return {};
}

}  // namespace pm::control
