-- Work packages (DOMAIN.md "Jobs"): an SOQ's items grouped by trade into pieces of work
-- with a sequence, dependencies and a duration, drafted by the planner or the AI service
-- and saved after a person's review (issue 15).

-- +goose Up
CREATE TABLE work_packages (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id    uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    soq_id        uuid NOT NULL,
    trade         text NOT NULL CHECK (length(btrim(trade)) BETWEEN 1 AND 100),
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    -- The planner's phase (drafting.Phases key); '' when a service or a person chose.
    phase         text NOT NULL DEFAULT '',
    sequence      integer NOT NULL CHECK (sequence >= 1),
    duration_days integer NOT NULL CHECK (duration_days BETWEEN 1 AND 365),
    -- Packages (of the same SOQ) that must finish first; each has a lower sequence.
    depends_on    uuid[] NOT NULL DEFAULT '{}',
    created_by_ai boolean NOT NULL DEFAULT false,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- The draft tender made from the package ("Make a draft tender"), and the SOQ holding
    -- just its items that the tender is on (a tender takes a whole SOQ).
    tender_id     uuid REFERENCES tenders (id) ON DELETE SET NULL,
    tender_soq_id uuid REFERENCES soqs (id) ON DELETE SET NULL,
    -- Deleting the SOQ deletes its packages.
    FOREIGN KEY (project_id, soq_id) REFERENCES soqs (project_id, id) ON DELETE CASCADE,
    UNIQUE (soq_id, sequence)
);
CREATE INDEX work_packages_project_idx ON work_packages (project_id, soq_id, sequence);

-- An item is in at most one package (its SOQ belongs to one project, so this is per
-- project too); deleting an item takes it out of its package.
CREATE TABLE work_package_items (
    package_id  uuid NOT NULL REFERENCES work_packages (id) ON DELETE CASCADE,
    soq_item_id uuid NOT NULL REFERENCES soq_items (id) ON DELETE CASCADE,
    PRIMARY KEY (package_id, soq_item_id),
    UNIQUE (soq_item_id)
);

-- +goose Down
DROP TABLE work_package_items;
DROP TABLE work_packages;
