-- +goose Up
-- The upload's preview (header and first rows of every sheet, read once at upload) so the
-- mapping page never reads the file again; and who queued an import, for the per-user cap
-- on imports running at once.
ALTER TABLE soq_imports ADD COLUMN preview jsonb NOT NULL DEFAULT '{}';
ALTER TABLE soq_imports ADD COLUMN queued_by uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX soq_imports_active_idx ON soq_imports (queued_by) WHERE status IN ('queued', 'running');

-- +goose Down
DROP INDEX soq_imports_active_idx;
ALTER TABLE soq_imports DROP COLUMN queued_by;
ALTER TABLE soq_imports DROP COLUMN preview;
