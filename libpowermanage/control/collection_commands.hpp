#pragma once
/// @file
/// @brief The commands of a named, ordered collection (action sets, definitions), written once:
/// `Traits` names the collection's kind and builds its events. Each command checks what it needs
/// and appends in one transaction (ControlService::Impl::command), so what it checked still
/// holds when the event lands.
#include <fmt/format.h>

#include <powermanage/eventstore/events.hpp>

#include "control/collections.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

/// The commands of the collection `Traits` describes. `Traits` has `static const
/// CollectionKind& kind()`, the event types `Created`, `Renamed`, `DescriptionUpdated` and
/// `Deleted`, and `static eventstore::NewEvent added(member, sort_order)`, `removed(member)`,
/// `reordered(member, sort_order)`.
template <class Traits>
class CollectionCommands {
public:
    /// Uses the service's pool, store and ids.
    explicit CollectionCommands(ControlService::Impl& service) : service_(service) {}

    /// Creates a collection; a live one with the same name answers already_exists.
    CollectionRow create(const Call& call, const std::string& name,
                         const std::string& description) {
        const auto& kind = Traits::kind();
        const std::string id = service_.ids_.next_string();
        const std::string duplicate = name_exists_message(kind.noun, name);
        return service_.command(
            call,
            [&](db::Transaction& tx) -> Changes {
                if (name_taken(tx, kind.table, name)) {
                    fail(rpc::Code::already_exists, duplicate);
                }
                typename Traits::Created created;
                created.name = name;
                created.description = description;
                return {{stream(id),
                         eventstore::ExpectedVersion::no_stream(),
                         {eventstore::NewEvent::of(created)}}};
            },
            [&](db::Transaction& tx) { return require_collection(tx, kind, id); }, duplicate);
    }

    /// Renames a live collection; another live one with that name answers already_exists.
    CollectionRow rename(const Call& call, const std::string& id, const std::string& name) {
        const auto& kind = Traits::kind();
        const std::string duplicate = name_exists_message(kind.noun, name);
        return change(
            call, id,
            [&](db::Transaction& tx) {
                if (name_taken(tx, kind.table, name, id)) {
                    fail(rpc::Code::already_exists, duplicate);
                }
                typename Traits::Renamed renamed;
                renamed.name = name;
                return eventstore::NewEvent::of(renamed);
            },
            duplicate);
    }

    /// Replaces a live collection's description.
    CollectionRow describe(const Call& call, const std::string& id,
                           const std::string& description) {
        return change(call, id, [&](db::Transaction&) {
            typename Traits::DescriptionUpdated updated;
            updated.description = description;
            return eventstore::NewEvent::of(updated);
        });
    }

    /// Deletes a live collection (the projection empties it and drops its memberships and
    /// assignments: docs/events.md).
    void remove(const Call& call, const std::string& id) {
        change(call, id, [&](db::Transaction&) {
            return eventstore::NewEvent::of(typename Traits::Deleted{});
        });
    }

    /// Adds a live member at `sort_order`; a member already there answers already_exists (move
    /// it with the reorder RPC instead), a missing or deleted one not_found.
    CollectionRow add(const Call& call, const std::string& id, const std::string& member,
                      std::int32_t sort_order) {
        const auto& kind = Traits::kind();
        return change(call, id, [&](db::Transaction& tx) {
            if (!is_live(tx, kind.member_table, member)) {
                fail(rpc::Code::not_found,
                     fmt::format("{} {} not found", kind.member_noun, member));
            }
            if (member_sort_order(tx, kind, id, member)) {
                fail(rpc::Code::already_exists,
                     fmt::format("{} {} is already in this {}; use {} to move it", kind.member_noun,
                                 member, kind.noun, kind.reorder_method));
            }
            return Traits::added(member, sort_order);
        });
    }

    /// Removes a member; one that is not in the collection answers not_found.
    CollectionRow remove_member(const Call& call, const std::string& id,
                                const std::string& member) {
        return change(call, id, [&](db::Transaction& tx) {
            require_member(tx, id, member);
            return Traits::removed(member);
        });
    }

    /// Moves a member to `sort_order`; one that is not in the collection answers not_found.
    CollectionRow reorder(const Call& call, const std::string& id, const std::string& member,
                          std::int32_t sort_order) {
        return change(call, id, [&](db::Transaction& tx) {
            require_member(tx, id, member);
            return Traits::reordered(member, sort_order);
        });
    }

private:
    static eventstore::StreamId stream(const std::string& id) {
        return {std::string(Traits::kind().stream_type), id};
    }

    void require_member(db::Transaction& tx, const std::string& id, const std::string& member) {
        const auto& kind = Traits::kind();
        if (!member_sort_order(tx, kind, id, member)) {
            fail(rpc::Code::not_found,
                 fmt::format("{} {} is not in this {}", kind.member_noun, member, kind.noun));
        }
    }

    // One event on a live collection, expecting the version the check saw; then the
    // collection as it is afterwards (an empty row after a delete).
    template <class MakeEvent>
    CollectionRow change(const Call& call, const std::string& id, MakeEvent&& make_event,
                         const std::string& duplicate = "already exists") {
        const auto& kind = Traits::kind();
        return service_.command(
            call,
            [&](db::Transaction& tx) -> Changes {
                auto version = live_version(tx, kind.table, kind.stream_type, id);
                if (!version) {
                    fail(rpc::Code::not_found, fmt::format("{} not found", kind.noun));
                }
                return {
                    {stream(id), eventstore::ExpectedVersion::exactly(*version), {make_event(tx)}}};
            },
            [&](db::Transaction& tx) {
                return find_collection(tx, kind, id).value_or(CollectionRow{});
            },
            duplicate);
    }

    ControlService::Impl& service_;
};

}  // namespace pm::control
