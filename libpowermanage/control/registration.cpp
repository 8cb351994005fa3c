// Register: an agent trades a registration token and a CSR for a device id and a certificate.
// The token's use is counted through its stream's expected version, so concurrent
// registrations with a one-time token cannot both succeed (the reference has no locking).
#include <powermanage/eventstore/events.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

struct TokenState {
    std::string id;
    bool disabled = false;
    bool one_time = false;
    std::int32_t max_uses = 0;
    std::int32_t current_uses = 0;
    std::optional<std::int64_t> expires_at_us;
    std::string owner_id;
    bool created_by_user = false;  // a console user (not an admin or the system) created it
    std::int32_t version = 0;      // of the token's stream, read in the same snapshot
};

std::optional<TokenState> find_registration_token(db::ConnectionPool& pool,
                                                  const std::string& value_hash) {
    return db::with_actor(pool, db::Actor::system("registration"), [&](db::Transaction& tx) {
        auto rows =
            tx.exec("SELECT t.id, t.disabled, t.one_time, t.max_uses, t.current_uses, " +
                        epoch_us("t.expires_at") +
                        ", coalesce(t.owner_id, ''), "
                        "(SELECT e.actor_type = 'user' FROM events e WHERE e.stream_type = 'token' "
                        "   AND e.stream_id = t.id AND e.stream_version = 1), s.version "
                        "FROM tokens_projection t JOIN streams s "
                        "  ON s.stream_type = 'token' AND s.stream_id = t.id "
                        "WHERE t.value_hash = $1 AND NOT t.is_deleted",
                    {value_hash});
        std::optional<TokenState> token;
        if (rows.rows() == 1) {
            token = TokenState{};
            token->id = std::string(rows.text(0, 0));
            token->disabled = rows.boolean(0, 1);
            token->one_time = rows.boolean(0, 2);
            token->max_uses = static_cast<std::int32_t>(rows.int64(0, 3));
            token->current_uses = static_cast<std::int32_t>(rows.int64(0, 4));
            if (!rows.is_null(0, 5)) {
                token->expires_at_us = rows.int64(0, 5);
            }
            token->owner_id = std::string(rows.text(0, 6));
            token->created_by_user = !rows.is_null(0, 7) && rows.boolean(0, 7);
            token->version = static_cast<std::int32_t>(rows.int64(0, 8));
        }
        return token;
    });
}

}  // namespace

pm::v1::RegisterResponse Registration::register_device(Call&,
                                                       const pm::v1::RegisterRequest& request) {
    const std::string value_hash = sha256_hex(request.token());
    const std::string device_id = service_.ids_.next_string();
    std::optional<ca::IssuedCertificate> certificate;
    std::optional<TokenState> token;
    // Each round re-reads the token; only a concurrent use of the same token repeats it.
    constexpr int kMaxRounds = 32;
    for (int round = 0;; ++round) {
        token = find_registration_token(service_.pool_, value_hash);
        if (!token) {
            fail(rpc::Code::permission_denied, "invalid registration token");
        }
        if (token->disabled) {
            fail(rpc::Code::permission_denied, "registration token is disabled");
        }
        const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                service_.clock_.now().time_since_epoch())
                                .count();
        if (token->expires_at_us && now_us >= *token->expires_at_us) {
            fail(rpc::Code::permission_denied, "registration token has expired");
        }
        if ((token->one_time && token->current_uses >= 1) ||
            (token->max_uses > 0 && token->current_uses >= token->max_uses)) {
            fail(rpc::Code::permission_denied,
                 "registration token has been used up; ask for a new one");
        }
        if (!certificate) {
            try {
                certificate = service_.authority_.sign_agent_request(
                    request.csr(), device_id, service_.options_.certificate_validity);
            } catch (const ca::CsrError& error) {
                fail(rpc::Code::invalid_argument, error.what());
            }
        }
        // A limited token (one-time or max_uses) is consumed at the version it was checked at,
        // so two registrations cannot take its last use; an unlimited one only counts its uses,
        // and any number may register at once.
        const bool limited = token->one_time || token->max_uses > 0;
        try {
            service_.store_.append(
                {std::string(es::kTokenStream), token->id},
                limited ? es::ExpectedVersion::exactly(token->version) : es::ExpectedVersion::any(),
                {es::NewEvent::of(es::TokenUsed{device_id})}, db::Actor::system("registration"));
            break;
        } catch (const es::VersionConflict&) {
            if (round + 1 == kMaxRounds) {
                fail(rpc::Code::aborted,
                     "the registration token is being used by many agents at once; retry");
            }
        }
    }

    es::DeviceRegistered registered;
    registered.hostname = request.hostname();
    registered.agent_version = request.agent_version();
    registered.cert_fingerprint = certificate->sha256_fingerprint;
    registered.cert_serial = certificate->serial_hex;
    registered.cert_not_after = certificate->not_after;
    registered.registration_token_id = token->id;
    if (token->created_by_user && !token->owner_id.empty()) {
        registered.assigned_user_id = token->owner_id;
    }
    service_.store_.append({std::string(es::kDeviceStream), device_id},
                           es::ExpectedVersion::no_stream(), {es::NewEvent::of(registered)},
                           db::Actor::system("registration"));

    pm::v1::RegisterResponse response;
    response.mutable_device_id()->set_value(device_id);
    response.set_ca_cert(service_.authority_.certificate_pem());
    response.set_certificate(certificate->pem);
    response.set_gateway_url(service_.options_.gateway_url);
    return response;
}

}  // namespace pm::control
