-- +goose Up
-- Case lists run newest filed first, by id (workflow/list.go), and read their
-- candidates from indexes in that order, stopping when a page is full.
--
-- A department's live work by case: the list's department=D&overdue=true walks
-- it newest case first and keeps the entries past due_at, about two in three,
-- where 00004's index (by due date) gave every overdue entry of the department
-- to be sorted. The department's whole history by case is
-- assignments_department_case (00001).
CREATE INDEX assignments_department_live_case ON assignments (department_id, case_id DESC) INCLUDE (due_at)
    WHERE status IN ('pending', 'in_progress');

-- The cases someone reported, by id: one of the ordered branches that make up
-- what an actor who sees only some cases may see. It replaces the index by
-- reporter and created_at, which served only the list's former order.
CREATE INDEX cases_reporter ON cases (reporter_id, id);
DROP INDEX cases_reporter_created;

-- +goose Down
-- Migrations only move forward.
SELECT 1;
