-- +goose Up
-- One row per failed login. The throttle counts the recent rows of a login
-- and of a client address, so every instance sharing the database sees the
-- same count; rows older than the throttle window are deleted as new ones
-- arrive.
CREATE TABLE login_failures (
    id     bigserial PRIMARY KEY,
    login  text NOT NULL,
    client text NOT NULL,
    at     timestamptz NOT NULL
);
CREATE INDEX login_failures_login ON login_failures (login, at);
CREATE INDEX login_failures_client ON login_failures (client, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- +goose Down
-- Migrations only move forward.
SELECT 1;
