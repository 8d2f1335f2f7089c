-- +goose Up
-- The dashboard's figures (counts by status, each department's open work and
-- rates) are aggregates over every visible case: at a million cases they take
-- seconds to compute. Each scope's figures (everything, or one set of
-- departments) are kept here with the time they were taken and how long that
-- took, shared by every instance, and recomputed when older than ten times
-- that (workflow/dashboard_figures.go).
CREATE TABLE dashboard_figures (
    scope    text PRIMARY KEY,
    taken_at timestamptz NOT NULL,
    took_ms  integer NOT NULL CHECK (took_ms >= 0),
    figures  jsonb NOT NULL
);

-- A scope's ratings, found by case: the rating events of a department's cases.
CREATE INDEX events_rate_case ON events (case_id, at) WHERE kind = 'rate';

-- The coordinator's queues are read oldest first and stop at the eleventh
-- item; these partial indexes hold only what waits, in that order.
CREATE INDEX assignments_awaiting_confirmation ON assignments (completed_at, id)
    WHERE status = 'completed';
CREATE INDEX assignments_extension_requested ON assignments (updated_at, id)
    WHERE extension_status = 'pending' AND status IN ('pending', 'in_progress');

-- +goose Down
-- Migrations only move forward.
SELECT 1;
