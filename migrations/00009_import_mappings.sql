-- +goose Up
-- The column mapping a person last chose for a header row, proposed the next time they
-- upload a file with the same columns. Per user, not per project: the layout is the
-- estimator's own template, which they reuse across projects (so it follows them to a new
-- one), and one person's choice never silently changes what a colleague is offered.
-- signature is soqfile.HeaderSignature: a hash of the normalized header names, in order.
CREATE TABLE import_mappings (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    signature  text NOT NULL CHECK (length(signature) BETWEEN 1 AND 128),
    -- One field name per column, as soq_imports.mapping.
    mapping    jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, signature)
);

-- +goose Down
DROP TABLE import_mappings;
