-- Email through an outbox (issue 16). A mail is written in the same transaction as the
-- change that causes it, so it exists if and only if that change committed; a River job
-- (deliver_mail) sends it. Without an SMTP server a mail stays 'held' and the Mailbox page
-- shows it as it would arrive.

-- +goose Up

CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind <> ''),
    to_addrs    text[] NOT NULL CHECK (cardinality(to_addrs) >= 1),
    subject     text NOT NULL,
    html        text NOT NULL,
    text        text NOT NULL,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'held')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    project_id  uuid REFERENCES projects (id) ON DELETE SET NULL,
    tender_id   uuid REFERENCES tenders (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_created_idx ON outbox (created_at DESC, id DESC);

-- Password resets: only the token's SHA-256 is kept; a token is single-use (used_at) and
-- valid for an hour (expires_at).
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- The optional mails a person may turn off (closing reminders); mandatory ones always go.
ALTER TABLE users ADD COLUMN notify_reminders boolean NOT NULL DEFAULT true;

-- +goose Down
ALTER TABLE users DROP COLUMN notify_reminders;
DROP TABLE password_resets;
DROP TABLE outbox;
