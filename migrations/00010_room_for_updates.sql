-- +goose Up
-- Room on every page for the next version of its rows. A case and its
-- assignments are updated many times in their lives (every action bumps the
-- version); with full pages (the default fillfactor, 100) most updates could
-- not stay on their row's page, so each one added an entry to every index of
-- the table (14 on assignments, the search grams' GIN index on cases) and left
-- the old one for vacuum. With a tenth of each page free they are HOT updates,
-- which touch no index. It applies to the pages written from now on.
ALTER TABLE cases SET (fillfactor = 90);
ALTER TABLE assignments SET (fillfactor = 90);

-- +goose Down
-- Migrations only move forward.
SELECT 1;
