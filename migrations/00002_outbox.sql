-- +goose Up
-- Every email casetrack sends goes through this table: the weekly digests and
-- the same-day notices. A row is written in the same transaction as what
-- caused it, so a rolled-back action sends nothing; workers claim rows with
-- FOR UPDATE SKIP LOCKED, so any number of instances share the work.
CREATE TABLE outbox (
    id                bigserial PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('digest_department', 'digest_overview', 'notice_dispatch',
                                                    'notice_urge', 'notice_return', 'notice_extension')),
    recipient         text NOT NULL CHECK (recipient <> ''),
    -- NULL for a department's own address, which cannot opt out.
    recipient_user_id bigint REFERENCES users(id) ON DELETE SET NULL,
    language          text NOT NULL CHECK (language IN ('zh-CN', 'en')),
    -- A notice is stored as its facts (data) and rendered by the first worker
    -- that sees it; a digest is rendered when it is produced.
    subject           text NOT NULL DEFAULT '',
    body_text         text NOT NULL DEFAULT '',
    body_html         text NOT NULL DEFAULT '',
    data              jsonb NOT NULL DEFAULT '{}',
    -- The local part of the Message-ID, derived from dedupe_key: a resent row
    -- keeps its Message-ID, so receivers can drop a duplicate.
    message_id        text NOT NULL,
    -- (kind, week or event, recipient): one row per message ever meant.
    dedupe_key        text NOT NULL UNIQUE,
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts          int NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    claimed_at        timestamptz,
    claimed_by        text,
    last_error        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    CHECK ((status = 'sending') = (claimed_at IS NOT NULL))
);
-- What a worker looks for: due rows, and rows whose claim has outlived its lease.
CREATE INDEX outbox_queued ON outbox (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_sending ON outbox (claimed_at) WHERE status = 'sending';

-- One row per (ISO week, recipient set: "overview" or "department:CODE"),
-- written in the same transaction as that set's outbox rows: a second
-- producer of the same week blocks on the key, then finds it taken.
CREATE TABLE digest_runs (
    week          text NOT NULL CHECK (week ~ '^[0-9]{4}-W[0-9]{2}$'),
    recipient_set text NOT NULL,
    messages      int NOT NULL DEFAULT 0,
    produced_by   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (week, recipient_set)
);

-- Secrets the instances share, created by the first that needs one (the
-- key that signs unsubscribe links).
CREATE TABLE app_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The digest replays each assignment's events up to a point in time.
CREATE INDEX events_assignment_at ON events (assignment_id, at, id) WHERE assignment_id IS NOT NULL;

-- +goose Down
-- Migrations only move forward.
SELECT 1;
