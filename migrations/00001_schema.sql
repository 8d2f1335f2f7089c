-- +goose Up
CREATE TABLE departments (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_-]{0,31}$'),
    name       text NOT NULL CHECK (name <> ''),
    email      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    login           text NOT NULL UNIQUE CHECK (login <> ''),
    name            text NOT NULL CHECK (name <> ''),
    email           text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    locale          text NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    active          boolean NOT NULL DEFAULT true,
    -- roles_version moves on every role change, so every instance's enforcer
    -- notices a change on the user's next request.
    roles_version   bigint NOT NULL DEFAULT 1,
    digest_opt_out  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_roles (
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('admin', 'coordinator', 'viewer', 'reporter', 'dept_head', 'dept_officer')),
    department_id bigint REFERENCES departments(id),
    CHECK ((role IN ('dept_head', 'dept_officer')) = (department_id IS NOT NULL))
);
CREATE UNIQUE INDEX user_roles_unique ON user_roles (user_id, role, coalesce(department_id, 0));
CREATE INDEX user_roles_department ON user_roles (department_id);

-- Tokens are stored as SHA-256 hashes: a leaked table grants nothing.
CREATE TABLE tokens (
    hash       bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('api', 'session')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id);

-- One row per year; UPDATE ... RETURNING serialises concurrent creates on the row lock.
CREATE TABLE case_ref_counters (
    year int PRIMARY KEY,
    last bigint NOT NULL
);


CREATE TABLE cases (
    id             bigserial PRIMARY KEY,
    ref            text NOT NULL UNIQUE,
    title          text NOT NULL,
    description    text NOT NULL DEFAULT '',
    category       text NOT NULL DEFAULT '',
    address        text NOT NULL DEFAULT '',
    lat            double precision,
    lng            double precision,
    priority       text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status         text NOT NULL CHECK (status IN ('submitted', 'triaged', 'dispatched', 'in_progress', 'resolved', 'closed', 'rejected', 'reopened')),
    reporter_id    bigint NOT NULL REFERENCES users(id),
    rating         smallint CHECK (rating BETWEEN 1 AND 5),
    -- round counts reopenings; the automatic transitions look only at the
    -- assignments dispatched in the current round.
    round          int NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        int NOT NULL DEFAULT 1,
    -- search_grams holds the distinct characters and character pairs of title,
    -- description, ref and address (see workflow.SearchGrams). Chinese has no
    -- spaces and most queries are two characters long, which trigrams cannot
    -- serve; pairs can, through a GIN index. Computed in Go: as a generated
    -- column in SQL it cost about a millisecond per row.
    search_grams   text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX cases_created ON cases (created_at DESC, id DESC);
CREATE INDEX cases_status_created ON cases (status, created_at DESC, id DESC);
CREATE INDEX cases_reporter_created ON cases (reporter_id, created_at DESC, id DESC);
CREATE INDEX cases_search ON cases USING gin (search_grams);

CREATE TABLE assignments (
    id                bigserial PRIMARY KEY,
    case_id           bigint NOT NULL REFERENCES cases(id),
    department_id     bigint NOT NULL REFERENCES departments(id),
    role              text NOT NULL CHECK (role IN ('lead', 'support')),
    round             int NOT NULL,
    instructions      text NOT NULL DEFAULT '',
    status            text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'confirmed', 'declined', 'cancelled')),
    due_at            timestamptz NOT NULL,
    extension_until   timestamptz,
    extension_reason  text,
    extension_status  text CHECK (extension_status IN ('pending', 'granted', 'denied')),
    resolution        text NOT NULL DEFAULT '',
    dispatched_at     timestamptz NOT NULL DEFAULT now(),
    accepted_at       timestamptz,
    completed_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           int NOT NULL DEFAULT 1
);
CREATE INDEX assignments_case ON assignments (case_id);
CREATE INDEX assignments_department_case ON assignments (department_id, case_id);
-- Overdue is "pending or in progress past due_at": a partial index over live work.
CREATE INDEX assignments_live_due ON assignments (due_at, case_id) WHERE status IN ('pending', 'in_progress');
-- One active lead per case and round: a declined or cancelled lead makes room
-- for a new one, and so does reopening (the last round's lead stays confirmed).
CREATE UNIQUE INDEX assignments_one_lead ON assignments (case_id, round)
    WHERE role = 'lead' AND status IN ('pending', 'in_progress', 'completed', 'confirmed');

CREATE TABLE events (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases(id),
    assignment_id bigint REFERENCES assignments(id),
    actor_id      bigint REFERENCES users(id),
    at            timestamptz NOT NULL DEFAULT now(),
    kind          text NOT NULL,
    from_state    text NOT NULL DEFAULT '',
    to_state      text NOT NULL DEFAULT '',
    visibility    text NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'public')),
    data          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_case ON events (case_id, id);
CREATE INDEX events_at ON events (at);

-- +goose StatementBegin
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- A repeated request with the same key returns the stored response.
CREATE TABLE idempotency_keys (
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    case_id       bigint NOT NULL REFERENCES cases(id),
    response      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- +goose Down
-- Migrations only move forward.
SELECT 1;
