-- +goose Up
-- Spreadsheet imports into an SOQ. The uploaded file is kept (bytea, at most 20 MB) so the
-- background job, and any retry of it, reads exactly what was uploaded. The job is River's
-- (river_job_id); this row is what people see: status, progress and the per-row report.
CREATE TABLE soq_imports (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    soq_id         uuid NOT NULL REFERENCES soqs (id) ON DELETE CASCADE,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    filename       text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    format         text NOT NULL CHECK (format IN ('xlsx', 'csv')),
    content        bytea NOT NULL,
    size_bytes     integer NOT NULL CHECK (size_bytes >= 0),
    sheet          text NOT NULL DEFAULT '',
    -- One field name per column of the chosen sheet: reference, description, unit, quantity,
    -- rate, section, item_type, trade or ignore.
    mapping        jsonb NOT NULL DEFAULT '[]',
    mode           text NOT NULL DEFAULT 'all_or_nothing' CHECK (mode IN ('all_or_nothing', 'valid_rows')),
    status         text NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded', 'queued', 'running', 'done', 'failed')),
    total_rows     integer NOT NULL DEFAULT 0,
    processed_rows integer NOT NULL DEFAULT 0,
    imported_rows  integer NOT NULL DEFAULT 0,
    skipped_rows   integer NOT NULL DEFAULT 0,
    refused_rows   integer NOT NULL DEFAULT 0,
    -- [{"row": 7, "reason": "quantity must be a number such as 12.5"}], spreadsheet row numbers.
    refused        jsonb NOT NULL DEFAULT '[]',
    -- A message for people (never an internal error's text).
    error          text NOT NULL DEFAULT '',
    river_job_id   bigint,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX soq_imports_soq_idx ON soq_imports (soq_id, created_at DESC);
CREATE INDEX soq_imports_job_idx ON soq_imports (river_job_id) WHERE river_job_id IS NOT NULL;

-- +goose Down
DROP TABLE soq_imports;
