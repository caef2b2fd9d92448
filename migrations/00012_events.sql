-- +goose Up
-- Live updates (issue 12): every committed change that pages follow is a row here, written
-- in the change's own transaction, and its id is announced with NOTIFY 14build_events at
-- commit. Instances load the row by id (so no payload meets NOTIFY's size limit), and a
-- listener that reconnects reads the rows it missed. Rows are pruned after a few days.
-- No foreign keys: an event outlives what it names, and must not lock it.
CREATE TABLE events (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind <> ''),
    project_id uuid,
    tender_id  uuid,
    bid_id     uuid,
    user_id    uuid,
    data       jsonb NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);
-- BRIN: the rows arrive in time order, so a tiny index serves both the prune and the
-- listener's catch-up by time.
CREATE INDEX events_at_brin ON events USING brin (at);

-- +goose Down
DROP TABLE events;
