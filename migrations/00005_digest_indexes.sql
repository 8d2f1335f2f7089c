-- +goose Up
-- The weekly digest (workflow/digest) counts each department's work from the
-- assignments' rows in one pass, and reads its lists (the first 20 items of a
-- section) from these indexes in each list's order, so that producing every
-- digest of a week does not grow with the work a department has done.
-- A department's assignments by when they were dispatched, accepted, completed
-- (id along, so that a list is read from the index alone; the completion's also
-- carries what tells whether the work was still open at the end of the week):
CREATE INDEX assignments_department_dispatched ON assignments (department_id, dispatched_at) INCLUDE (id);
CREATE INDEX assignments_department_accepted ON assignments (department_id, accepted_at) INCLUDE (id)
    WHERE accepted_at IS NOT NULL;
CREATE INDEX assignments_department_completed ON assignments (department_id, completed_at)
    INCLUDE (id, dispatched_at, due_at) WHERE completed_at IS NOT NULL;
-- and those with an extension request awaiting a decision, by the date asked for.
CREATE INDEX assignments_department_extension ON assignments (department_id, extension_until)
    WHERE extension_status = 'pending';

-- The few events the digest looks up by kind and time: those an assignment's
-- row does not date (urges, extension requests and decisions, returns,
-- declines, withdrawals) and ratings. The common events (dispatch, accept,
-- progress, complete, confirm, comments, automatic transitions) are left out,
-- so that the write path does not maintain this index.
CREATE INDEX events_digest ON events (kind, at) INCLUDE (assignment_id, case_id)
    WHERE kind IN ('urge', 'request_extension', 'grant_extension', 'deny_extension', 'return', 'decline', 'cancel', 'rate');

-- The changes of a case's status into or out of waiting for triage (submitted)
-- or dispatch (triaged, reopened), filing aside, by time: how many cases waited
-- at an instant is derived from those waiting now and these changes since.
CREATE INDEX events_waiting ON events (at, id) INCLUDE (case_id, from_state, to_state)
    WHERE assignment_id IS NULL AND from_state <> to_state AND from_state <> ''
      AND (from_state IN ('submitted', 'triaged', 'reopened') OR to_state IN ('submitted', 'triaged', 'reopened'));

-- +goose Down
-- Migrations only move forward.
SELECT 1;
