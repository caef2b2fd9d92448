-- +goose Up
-- Intent to bid, addenda and clarifications (issue 11).

-- An invited bidder's intent lives on its invitation (tender_invitees.intent); this is
-- when it was last stated.
ALTER TABLE tender_invitees ADD COLUMN intent_at timestamptz;

-- The intent of a bidder the tender reaches by trade only (no invitation row). A bidder
-- has its intent in exactly one place: its invitation if it has one, else here.
-- Invitations change only while the tender is a draft, and intents only once it is open,
-- so a bidder never has both.
CREATE TABLE tender_intents (
    tender_id uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    bidder_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    intent    text NOT NULL CHECK (intent IN ('undecided', 'bidding', 'declined')),
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tender_id, bidder_id)
);
CREATE INDEX tender_intents_bidder_idx ON tender_intents (bidder_id);

-- What an addendum did to the frozen copy, counted for lists.
ALTER TABLE addenda
    ADD COLUMN changed integer NOT NULL DEFAULT 0 CHECK (changed >= 0),
    ADD COLUMN added   integer NOT NULL DEFAULT 0 CHECK (added >= 0),
    ADD COLUMN removed integer NOT NULL DEFAULT 0 CHECK (removed >= 0);

-- +goose Down
ALTER TABLE addenda DROP COLUMN changed, DROP COLUMN added, DROP COLUMN removed;
DROP TABLE tender_intents;
ALTER TABLE tender_invitees DROP COLUMN intent_at;
