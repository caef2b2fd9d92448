-- +goose Up
-- Tenders: an SOQ put out to bidders. Opening a tender freezes a copy of the SOQ
-- (tender_sections, tender_items) so that later SOQ edits never change what bidders priced.
-- Money is integer minor units (bigint), as everywhere.

-- A tender's SOQ must be of the tender's project: the composite key below says so.
ALTER TABLE soqs ADD CONSTRAINT soqs_project_id_id_key UNIQUE (project_id, id);

CREATE TABLE tenders (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- No cascade from the SOQ: an SOQ a tender was made from is not deleted under it.
    soq_id          uuid NOT NULL,
    title           text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    instructions    text NOT NULL DEFAULT '' CHECK (length(instructions) <= 20000),
    closes_at       timestamptz NOT NULL,
    sealed          boolean NOT NULL DEFAULT true,
    allow_late_bids boolean NOT NULL DEFAULT false,
    -- Open to bidders of the chosen categories, and the frozen copy holds only their items.
    scope_by_trade  boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'open', 'closed', 'awarded', 'cancelled')),
    version         bigint NOT NULL DEFAULT 1,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    opened_at       timestamptz,
    closed_at       timestamptz,
    awarded_at      timestamptz,
    FOREIGN KEY (project_id, soq_id) REFERENCES soqs (project_id, id),
    -- The times say which transitions happened; a status without its time is a bug.
    CHECK (status NOT IN ('open', 'closed', 'awarded') OR opened_at IS NOT NULL),
    CHECK (status NOT IN ('closed', 'awarded') OR closed_at IS NOT NULL),
    CHECK ((status = 'awarded') = (awarded_at IS NOT NULL))
);
CREATE INDEX tenders_project_idx ON tenders (project_id, created_at);
CREATE INDEX tenders_soq_idx ON tenders (soq_id);
-- The closing job looks for open tenders past their time.
CREATE INDEX tenders_open_closes_idx ON tenders (closes_at) WHERE status = 'open';

CREATE TABLE tender_categories (
    tender_id   uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    category_id bigint NOT NULL REFERENCES categories (id),
    PRIMARY KEY (tender_id, category_id)
);
-- "Open tenders of my trade" for a bidder.
CREATE INDEX tender_categories_category_idx ON tender_categories (category_id);

CREATE TABLE tender_invitees (
    tender_id  uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    email      citext NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    -- Set once the address belongs to an account (at invitation or on sign-up).
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    intent     text NOT NULL DEFAULT 'undecided' CHECK (intent IN ('undecided', 'bidding', 'declined')),
    invited_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tender_id, email)
);
CREATE INDEX tender_invitees_user_idx ON tender_invitees (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX tender_invitees_email_idx ON tender_invitees (email);

-- The frozen copy. Ids are new; source_*_id name the SOQ rows copied (no foreign key: the
-- SOQ may change or lose them later, the copy stays).
CREATE TABLE tender_sections (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tender_id         uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    source_section_id uuid,
    code              text NOT NULL,
    title             text NOT NULL,
    position          integer NOT NULL,
    UNIQUE (tender_id, position),
    UNIQUE (tender_id, id)
);

CREATE TABLE tender_items (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tender_id      uuid NOT NULL,
    section_id     uuid NOT NULL,
    source_item_id uuid,
    reference      text NOT NULL,
    description    text NOT NULL,
    unit           text NOT NULL,
    quantity       numeric(15, 3) NOT NULL CHECK (quantity >= 0),
    item_type      text NOT NULL CHECK (item_type IN ('measured', 'provisional_sum', 'prime_cost_sum', 'daywork', 'preliminaries')),
    -- The owner's rate and amount are copied for fixed allowances only (bidders take them
    -- as they are); a line bidders price carries none, so the estimate never reaches them.
    rate           bigint CHECK (rate >= 0),
    amount         bigint CHECK (amount >= 0),
    category_id    bigint REFERENCES categories (id),
    position       integer NOT NULL,
    FOREIGN KEY (tender_id, section_id) REFERENCES tender_sections (tender_id, id) ON DELETE CASCADE,
    CHECK ((rate IS NULL) = (amount IS NULL)),
    CHECK ((item_type IN ('provisional_sum', 'prime_cost_sum')) = (rate IS NOT NULL)),
    UNIQUE (section_id, position),
    UNIQUE (tender_id, id)
);
CREATE INDEX tender_items_tender_idx ON tender_items (tender_id, position);

CREATE TABLE bids (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tender_id      uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    bidder_id      uuid NOT NULL REFERENCES users (id),
    entity_id      bigint NOT NULL REFERENCES entities (id),
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'submitted', 'withdrawn', 'unsuccessful', 'awarded')),
    -- Submissions so far: each submission is a new revision of the same bid.
    revision       integer NOT NULL DEFAULT 0 CHECK (revision >= 0),
    qualifications text NOT NULL DEFAULT '' CHECK (length(qualifications) <= 20000),
    exclusions     text NOT NULL DEFAULT '' CHECK (length(exclusions) <= 20000),
    -- Computed on the server from bid_rates and the allowances, never taken from a client.
    total          bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
    -- SHA-256 of the submitted content (tender.BidContentHash), the commitment the audit
    -- ledger records, and the revision's random nonce that keeps the hash from revealing
    -- the rates while the bid is sealed.
    content_hash   bytea CHECK (octet_length(content_hash) = 32),
    content_nonce  bytea CHECK (octet_length(content_nonce) = 32),
    submitted_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tender_id, bidder_id),
    UNIQUE (tender_id, id),
    -- A submission sets all three; a bid withdrawn or redrafted keeps its last one.
    CHECK ((revision = 0) = (content_hash IS NULL) AND (revision = 0) = (content_nonce IS NULL)
           AND (revision = 0) = (submitted_at IS NULL)),
    CHECK (status NOT IN ('submitted', 'unsuccessful', 'awarded') OR revision > 0)
);
CREATE INDEX bids_bidder_idx ON bids (bidder_id);
CREATE INDEX bids_entity_idx ON bids (entity_id);

-- A bid's rate per line. tender_id ties both keys to one tender: a bid cannot price
-- another tender's line.
CREATE TABLE bid_rates (
    tender_id      uuid NOT NULL,
    bid_id         uuid NOT NULL,
    tender_item_id uuid NOT NULL,
    rate           bigint NOT NULL CHECK (rate >= 0),
    PRIMARY KEY (bid_id, tender_item_id),
    FOREIGN KEY (tender_id, bid_id) REFERENCES bids (tender_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tender_id, tender_item_id) REFERENCES tender_items (tender_id, id) ON DELETE CASCADE
);
-- Leveling reads every bid's rate for a line.
CREATE INDEX bid_rates_item_idx ON bid_rates (tender_item_id);
CREATE INDEX bid_rates_tender_idx ON bid_rates (tender_id, tender_item_id);

CREATE TABLE addenda (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tender_id  uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    number     integer NOT NULL CHECK (number > 0),
    text       text NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 20000),
    -- The new closing time the addendum sets, if it moves it.
    closes_at  timestamptz,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tender_id, number)
);

-- A bidder's acknowledgement of an addendum; by bidder, since one may acknowledge before
-- starting a bid.
CREATE TABLE addendum_acks (
    addendum_id     uuid NOT NULL REFERENCES addenda (id) ON DELETE CASCADE,
    bidder_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (addendum_id, bidder_id)
);
CREATE INDEX addendum_acks_bidder_idx ON addendum_acks (bidder_id);

CREATE TABLE questions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tender_id   uuid NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    asked_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    question    text NOT NULL CHECK (length(btrim(question)) BETWEEN 1 AND 5000),
    answer      text CHECK (length(answer) <= 20000),
    -- Published answers are shown to every bidder, the asker's name never.
    published   boolean NOT NULL DEFAULT false,
    answered_by uuid REFERENCES users (id) ON DELETE SET NULL,
    asked_at    timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    CHECK ((answer IS NULL) = (answered_at IS NULL)),
    CHECK (NOT published OR answer IS NOT NULL)
);
CREATE INDEX questions_tender_idx ON questions (tender_id, asked_at);

-- The audit ledger: one hash chain per project (tender.EntryHash). Each entry's hash covers
-- its kind, tender, actor, time and content and the previous entry's hash (prev_hash, NULL
-- only for the first), so an edited or removed entry breaks every hash after it. Hence no
-- foreign keys on tender_id and actor_id: a cascade or SET NULL would rewrite hashed
-- fields, and deleting a draft tender or a user must leave the chain verifiable.
CREATE TABLE activity (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    seq        bigint NOT NULL CHECK (seq > 0),
    kind       text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    tender_id  uuid,
    actor_id   uuid, -- NULL: the system (the closing job)
    at         timestamptz NOT NULL DEFAULT now(),
    content    jsonb NOT NULL,
    prev_hash  bytea CHECK (octet_length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (project_id, seq),
    CHECK ((seq = 1) = (prev_hash IS NULL))
);
CREATE INDEX activity_tender_idx ON activity (tender_id, seq) WHERE tender_id IS NOT NULL;

-- The contract an award makes. No cascade: a tender or bid with a contract is not deleted.
CREATE TABLE contracts (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tender_id            uuid NOT NULL UNIQUE REFERENCES tenders (id),
    bid_id               uuid NOT NULL UNIQUE,
    contractor_entity_id bigint NOT NULL REFERENCES entities (id),
    contract_sum         bigint NOT NULL CHECK (contract_sum >= 0),
    currency             text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    created_at           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tender_id, bid_id) REFERENCES bids (tender_id, id)
);
CREATE INDEX contracts_entity_idx ON contracts (contractor_entity_id);

-- +goose Down
DROP TABLE contracts;
DROP TABLE activity;
DROP TABLE questions;
DROP TABLE addendum_acks;
DROP TABLE addenda;
DROP TABLE bid_rates;
DROP TABLE bids;
DROP TABLE tender_items;
DROP TABLE tender_sections;
DROP TABLE tender_invitees;
DROP TABLE tender_categories;
DROP TABLE tenders;
ALTER TABLE soqs DROP CONSTRAINT soqs_project_id_id_key;
