-- +goose Up
-- When a request for more time was made, kept on the assignment. The
-- coordinator's queue of requests used to be ordered by updated_at, which
-- every later progress report moved on, so a request went to the back of the
-- queue whenever its department reported progress. And because updated_at
-- was in that index, no update of an assignment could be HOT: every progress
-- report added an entry to each of the table's 14 indexes (docs/PERFORMANCE.md).
-- The Service sets extension_requested_at when a request starts pending and
-- leaves it alone otherwise; no index holds updated_at or version.
ALTER TABLE assignments ADD COLUMN extension_requested_at timestamptz;

UPDATE assignments a SET extension_requested_at = coalesce(
        (SELECT max(e.at) FROM events e
         WHERE e.assignment_id = a.id AND e.kind = 'request_extension'),
        a.updated_at)
    WHERE a.extension_status IS NOT NULL;

DROP INDEX assignments_extension_requested;
CREATE INDEX assignments_extension_requested ON assignments (extension_requested_at, id)
    WHERE extension_status = 'pending' AND status IN ('pending', 'in_progress');

-- +goose Down
-- Migrations only move forward.
SELECT 1;
