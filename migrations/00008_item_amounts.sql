-- +goose Up
-- Each item's amount (quantity × rate, rounded half-up to the minor unit) is stored when the
-- item is written, computed in Go by soq.Amount — still the one place it is computed — so
-- that totals are SQL sums and a cell save no longer reads every item of its SOQ.
--
-- Existing rows get the same value: round() on the exact numeric product rounds half away
-- from zero, which is half-up for the non-negative quantities and rates the columns allow
-- (TestMigration00008BackfillEqualsSoqAmount in store/soq_write_test.go checks it against
-- soq.Amount). Rows stored past the money range (before the totals check existed, or by
-- hand) are capped one above money.MaxMinor (2^53), so that any total they are part of
-- still reads as over the limit.
ALTER TABLE soq_items ADD COLUMN amount bigint;
UPDATE soq_items SET amount = LEAST(round(quantity * rate), 9007199254740993);
ALTER TABLE soq_items ALTER COLUMN amount SET NOT NULL;
ALTER TABLE soq_items ADD CONSTRAINT soq_items_amount_check CHECK (amount >= 0);

-- soq_items_position_key (section_id, position), added by 00007, serves every lookup this
-- index did; keeping both cost every write of an item (an import's 50,000 rows) a second
-- index on the same columns.
DROP INDEX soq_items_section_idx;

-- Every item an import writes paid for an index on import_id, read only to delete what an
-- earlier run of the same import wrote (a retry after a crash): that delete now reads the
-- SOQ's items through soq_items_reference_key (soq_id, …) instead.
DROP INDEX soq_items_import_idx;

-- An item's SOQ is its section's SOQ: one foreign key on both columns says so, and checks
-- each written item once instead of twice (the foreign-key checks were about 40% of the
-- server CPU of an import's 50,000-row insert; the composite key took 15% off the insert).
-- Deleting an SOQ still removes its items, through its sections.
ALTER TABLE soq_sections ADD CONSTRAINT soq_sections_soq_id_id_key UNIQUE (soq_id, id);
ALTER TABLE soq_items DROP CONSTRAINT soq_items_soq_id_fkey, DROP CONSTRAINT soq_items_section_id_fkey,
    ADD CONSTRAINT soq_items_section_fkey FOREIGN KEY (soq_id, section_id) REFERENCES soq_sections (soq_id, id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE soq_items DROP CONSTRAINT soq_items_section_fkey,
    ADD CONSTRAINT soq_items_soq_id_fkey FOREIGN KEY (soq_id) REFERENCES soqs (id) ON DELETE CASCADE,
    ADD CONSTRAINT soq_items_section_id_fkey FOREIGN KEY (section_id) REFERENCES soq_sections (id) ON DELETE CASCADE;
ALTER TABLE soq_sections DROP CONSTRAINT soq_sections_soq_id_id_key;
CREATE INDEX soq_items_import_idx ON soq_items (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX soq_items_section_idx ON soq_items (section_id, position);
ALTER TABLE soq_items DROP COLUMN amount;
