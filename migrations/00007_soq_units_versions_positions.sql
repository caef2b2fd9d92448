-- +goose Up
-- Optimistic concurrency for whole-object replaces (PUT): every write bumps version, and a
-- PUT that carries an older version than the row's is refused (409) instead of silently
-- overwriting someone else's change.
ALTER TABLE soqs ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE units ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- Positions must be unique among siblings. Concurrent adds before this migration could
-- leave duplicates, so renumber first, keeping the order people saw (position, then the
-- tie-breakers the list queries use). Item positions are numbered across the whole SOQ, as
-- the store assigns them, which keeps them unique within each section too.
UPDATE soq_items i SET position = x.rn
FROM (SELECT id, row_number() OVER (PARTITION BY soq_id ORDER BY position, id) AS rn FROM soq_items) x
WHERE x.id = i.id AND i.position <> x.rn;

UPDATE soq_sections s SET position = x.rn
FROM (SELECT id, row_number() OVER (PARTITION BY soq_id ORDER BY position, id) AS rn FROM soq_sections) x
WHERE x.id = s.id AND s.position <> x.rn;

-- DEFERRABLE (checked at the end of each statement, not row by row), so that a move can
-- swap two neighbours' positions in one UPDATE.
ALTER TABLE soq_items ADD CONSTRAINT soq_items_position_key UNIQUE (section_id, position) DEFERRABLE;
ALTER TABLE soq_sections ADD CONSTRAINT soq_sections_position_key UNIQUE (soq_id, position) DEFERRABLE;

-- +goose Down
ALTER TABLE soq_sections DROP CONSTRAINT soq_sections_position_key;
ALTER TABLE soq_items DROP CONSTRAINT soq_items_position_key;
ALTER TABLE units DROP COLUMN version;
ALTER TABLE soqs DROP COLUMN version;
