-- +goose Up
-- When a case began waiting for a coordinator to name a new lead: it is open
-- (triaged, dispatched or in progress), its round's lead declined, and no
-- lead of the round is live. NULL for every other case. The Service keeps it
-- in the transaction that changes a case's assignments or status
-- (workflow/assignment_service.go, case_sql.go), so that the coordinator's
-- queue of such cases reads the few that wait from the partial index below,
-- instead of checking every declined lead ever recorded (600 ms with 40,000
-- declines replaced long ago: docs/PERFORMANCE.md).
ALTER TABLE cases ADD COLUMN lead_wanted_since timestamptz;

UPDATE cases c SET lead_wanted_since = w.since
FROM (SELECT a.case_id, max(a.updated_at) AS since
      FROM assignments a
      JOIN cases oc ON oc.id = a.case_id AND oc.round = a.round
      WHERE a.role = 'lead' AND a.status = 'declined'
        AND oc.status IN ('triaged', 'dispatched', 'in_progress')
        AND NOT EXISTS (SELECT 1 FROM assignments l WHERE l.case_id = a.case_id AND l.round = a.round
                        AND l.role = 'lead' AND l.status IN ('pending', 'in_progress', 'completed', 'confirmed'))
      GROUP BY a.case_id) w
WHERE c.id = w.case_id;

CREATE INDEX cases_lead_wanted ON cases (lead_wanted_since, id) WHERE lead_wanted_since IS NOT NULL;

-- +goose Down
-- Migrations only move forward.
SELECT 1;
