-- +goose Up
-- A department's open work by due date. The case list's department=D&overdue=true and
-- the dashboard's open, overdue and due-soon figures per department read about 5,600
-- entries of it, instead of intersecting the department's 17,700 assignments with the
-- 570,000 live ones (1,000,000 cases: docs/PERFORMANCE.md). case_id rides along, so
-- that the lookup never visits the table.
CREATE INDEX assignments_department_live_due ON assignments (department_id, due_at) INCLUDE (case_id)
    WHERE status IN ('pending', 'in_progress');

-- +goose Down
-- Migrations only move forward.
SELECT 1;
