-- +goose Up
-- Autovacuum visits a table when its count of dead rows passes
-- autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × its rows.
-- Updates of assignments are HOT (migrations 00010 and 00011), and each
-- time a page is pruned its dead rows leave that count: after 450,000 HOT
-- updates of a 200,000-row table the count stood at 2,400, under the default
-- bound of 40,050, and autovacuum never came. But only vacuum marks pages
-- all-visible again, which the lists' index-only scans of assignments need:
-- without it, the pages that updates touched are read from the table for
-- every list, all day (an officer's list: 8.8 ms instead of 1 ms). With
-- this bound of 1,000 dead rows whatever the table's size, autovacuum came
-- four times in the same run and left 27 of 1,441 pages to read instead of
-- 165 (docs/PERFORMANCE.md). A vacuum reads only the pages not all-visible.
ALTER TABLE assignments SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- +goose Down
-- Migrations only move forward.
SELECT 1;
