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

-- Identifiers people type are stored in Unicode NFC from now on (package ident). Bring
-- existing ones to NFC too, so that an old NFD spelling cannot sit beside its NFC twin;
-- a row whose NFC form another row already has (or would get first) is left as it is.
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RETURN; -- normalize() needs a UTF8 database
    END IF;
    UPDATE units u SET unit_number = normalize(u.unit_number, NFC)
    WHERE u.unit_number IS NOT NFC NORMALIZED
      AND NOT EXISTS (SELECT 1 FROM units o WHERE o.project_id = u.project_id AND o.id <> u.id
          AND (lower(o.unit_number) = lower(normalize(u.unit_number, NFC))
               OR o.id < u.id AND lower(normalize(o.unit_number, NFC)) = lower(normalize(u.unit_number, NFC))));
    UPDATE soq_items i SET reference = normalize(i.reference, NFC)
    WHERE i.reference IS NOT NFC NORMALIZED
      AND NOT EXISTS (SELECT 1 FROM soq_items o WHERE o.soq_id = i.soq_id AND o.id <> i.id
          AND (lower(o.reference) = lower(normalize(i.reference, NFC))
               OR o.id < i.id AND lower(normalize(o.reference, NFC)) = lower(normalize(i.reference, NFC))));
    UPDATE soq_sections s SET code = normalize(s.code, NFC)
    WHERE s.code IS NOT NFC NORMALIZED
      AND NOT EXISTS (SELECT 1 FROM soq_sections o WHERE o.soq_id = s.soq_id AND o.id <> s.id
          AND (lower(o.code) = lower(normalize(s.code, NFC))
               OR o.id < s.id AND lower(normalize(o.code, NFC)) = lower(normalize(s.code, NFC))));
END $$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE soq_sections DROP CONSTRAINT soq_sections_position_key;
ALTER TABLE soq_items DROP CONSTRAINT soq_items_position_key;
ALTER TABLE units DROP COLUMN version;
ALTER TABLE soqs DROP COLUMN version;
