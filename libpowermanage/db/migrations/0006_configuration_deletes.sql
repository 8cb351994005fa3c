-- Deleting configuration takes its assignments with it, and members can only join while what
-- they name is live (docs/events.md, "Configuration deletes"). The projectors that do it are
-- in libpowermanage/db/projectors/ (action, action_set, definition, assignment); this
-- migration only moves assignments into the action rebuild group.
--
-- * ActionDeleted, ActionSetDeleted and DefinitionDeleted soft-delete every live assignment
--   whose source is the deleted row, in the same statement as the delete: an assignment of a
--   deleted source must not resolve to anything, and the reference's leftovers did. No
--   AssignmentDeleted events are appended for them: the effect follows deterministically from
--   the delete event, so a rebuild (position order) produces it again. Like the other
--   cross-stream effects, it leaves the assignment rows' projection_version alone.
-- * ActionSetMemberAdded and DefinitionMemberAdded insert nothing when the action (set) is
--   deleted at that point of the log. The command refuses such an add already; the projector
--   repeats the check under a share lock on the member's row so that an add racing a delete
--   of its member ends as position order says (the delete's UPDATE and the add's lock
--   serialize on that row), which is also what a rebuild produces. The lock is taken before
--   the parent's, as the delete takes the member's row before the parents', so the two cannot
--   deadlock. A member id with no row at all is inserted as before (projectors do not check
--   references; time travel replays one stream without the others).
-- * Rebuild groups: assignment now joins action, action_set and definition, whose deletes
--   write assignments_projection (below).

-- As in 0002, with assignment moved into the action group (see the top of this file).
CREATE OR REPLACE FUNCTION pm_projection_catalogue()
RETURNS TABLE (stream_type text, rebuild_group text, tables text[])
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('user', 'user', ARRAY['users_projection']),
           ('token', 'token', ARRAY['tokens_projection']),
           ('device', 'device', ARRAY['devices_projection', 'device_certificates_projection']),
           ('device_group', 'device',
                ARRAY['device_groups_projection', 'device_group_members_projection']),
           ('action', 'action', ARRAY['actions_projection']),
           ('action_set', 'action',
                ARRAY['action_sets_projection', 'action_set_members_projection']),
           ('definition', 'action',
                ARRAY['definitions_projection', 'definition_members_projection']),
           ('assignment', 'action', ARRAY['assignments_projection']),
           ('execution', 'execution',
                ARRAY['executions_projection', 'execution_output_projection']),
           ('user_selection', 'user_selection', ARRAY['user_selections_projection'])
$$;
