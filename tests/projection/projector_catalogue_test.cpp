// Every event type of the C++ catalogue (events.hpp) has a branch in its stream's projector,
// and every stream type reaches its projector, checked against the functions the migrated
// database really runs (pg_get_functiondef), so an event added to the catalogue without a
// projector case fails here instead of silently staying out of the projections.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/eventstore/events.hpp>

#include "projection/projector_fixture.hpp"

namespace pm::testing {
namespace {

namespace es = pm::eventstore;

// Events that are history only, on purpose: docs/events.md says why for each.
const std::set<std::string, std::less<>> kHistoryOnly = {
    "SecurityAlert",  // an audit record of what an agent reported; nothing to project
};

class ProjectorCatalogueTest : public ProjectorTest {};

TEST_F(ProjectorCatalogueTest, EveryStreamTypeReachesItsProjector) {
    const std::string dispatch = value("SELECT pg_get_functiondef('pm_project_event'::regproc)");
    for (const auto stream : es::known_stream_types()) {
        const std::string branch =
            "WHEN '" + std::string(stream) + "' THEN PERFORM pm_project_" + std::string(stream);
        EXPECT_NE(dispatch.find(branch), std::string::npos)
            << "pm_project_event has no branch for stream type " << stream;
    }
}

TEST_F(ProjectorCatalogueTest, EveryEventTypeHasAProjectorBranch) {
    int checked = 0;
    for (const auto type : es::known_event_types()) {
        if (kHistoryOnly.contains(type)) {
            continue;
        }
        const std::string stream(es::stream_of_event_type(type));
        ASSERT_FALSE(stream.empty()) << type;
        const std::string body =
            value("SELECT pg_get_functiondef(('pm_project_' || $1)::regproc)", {stream});
        EXPECT_NE(body.find("'" + std::string(type) + "'"), std::string::npos)
            << "pm_project_" << stream << " has no branch for " << type
            << ": project it, or list it in kHistoryOnly with the reason in docs/events.md";
        ++checked;
    }
    EXPECT_GT(checked, 60);
}

TEST_F(ProjectorCatalogueTest, HistoryOnlyEventsAreInTheCatalogue) {
    for (const auto& type : kHistoryOnly) {
        EXPECT_TRUE(es::is_known_event_type(type)) << type;
    }
}

}  // namespace
}  // namespace pm::testing
