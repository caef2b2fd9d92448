-- +goose Up
-- Schedules of quantities: an SOQ has sections, a section has items. Money is integer minor
-- units; quantities are numeric(15,3). Amounts are never stored: they are computed in one
-- place (package soq) from quantity × rate, rounded half-up to the minor unit.
CREATE TABLE soqs (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title      text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    currency   text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    status     text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued')),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX soqs_project_idx ON soqs (project_id);

CREATE TABLE soq_sections (
    id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    soq_id   uuid NOT NULL REFERENCES soqs (id) ON DELETE CASCADE,
    code     text NOT NULL CHECK (length(btrim(code)) BETWEEN 1 AND 20),
    title    text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    position integer NOT NULL
);
CREATE UNIQUE INDEX soq_sections_code_key ON soq_sections (soq_id, lower(code));
CREATE INDEX soq_sections_order_idx ON soq_sections (soq_id, position);

CREATE TABLE soq_items (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    soq_id      uuid NOT NULL REFERENCES soqs (id) ON DELETE CASCADE,
    section_id  uuid NOT NULL REFERENCES soq_sections (id) ON DELETE CASCADE,
    reference   text NOT NULL CHECK (length(btrim(reference)) BETWEEN 1 AND 40),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    unit        text NOT NULL CHECK (length(btrim(unit)) BETWEEN 1 AND 20),
    quantity    numeric(15, 3) NOT NULL CHECK (quantity >= 0),
    rate        bigint NOT NULL CHECK (rate >= 0),
    item_type   text NOT NULL CHECK (item_type IN ('measured', 'provisional_sum', 'prime_cost_sum', 'daywork', 'preliminaries')),
    category_id bigint REFERENCES categories (id),
    position    integer NOT NULL,
    -- The import that wrote this row, so a retried import job replaces, never duplicates.
    import_id   uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX soq_items_reference_key ON soq_items (soq_id, lower(reference));
CREATE INDEX soq_items_section_idx ON soq_items (section_id, position);
CREATE INDEX soq_items_import_idx ON soq_items (import_id) WHERE import_id IS NOT NULL;

-- The units an item serves (optional).
CREATE TABLE soq_item_units (
    item_id uuid NOT NULL REFERENCES soq_items (id) ON DELETE CASCADE,
    unit_id uuid NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, unit_id)
);
CREATE INDEX soq_item_units_unit_idx ON soq_item_units (unit_id);

-- +goose Down
DROP TABLE soq_item_units;
DROP TABLE soq_items;
DROP TABLE soq_sections;
DROP TABLE soqs;
