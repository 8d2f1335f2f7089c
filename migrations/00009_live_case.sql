-- +goose Up
-- Every live assignment by case: the case list's overdue=true for an actor who
-- sees every case, without a department, walks it newest case first and keeps
-- the entries past due_at (workflow/list.go), where it walked every case by id
-- and looked each one's assignments up (282 ms at 1,000,000 cases:
-- docs/PERFORMANCE.md). due_at rides along, so that the walk never visits the
-- table.
CREATE INDEX assignments_live_case ON assignments (case_id DESC) INCLUDE (due_at)
    WHERE status IN ('pending', 'in_progress');

-- +goose Down
-- Migrations only move forward.
SELECT 1;
