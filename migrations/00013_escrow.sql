-- Contract milestones, escrow per milestone, contractors' payout accounts, Stripe's events
-- (each processed once) and the double-entry ledger of every money movement (issue 14).
-- Money is bigint minor units of the contract's currency throughout.

-- +goose Up

-- Retention: a percentage (basis points) withheld from each milestone's payment and paid
-- out in one transfer once every milestone is paid. release_state follows the same steps
-- as an escrow's release (none → requested → sent) so a retry never pays twice.
ALTER TABLE contracts
    ADD COLUMN retention_bp            integer NOT NULL DEFAULT 0 CHECK (retention_bp BETWEEN 0 AND 2000),
    ADD COLUMN retention_release_state text NOT NULL DEFAULT 'none'
        CHECK (retention_release_state IN ('none', 'requested', 'sent')),
    ADD COLUMN retention_transfer_id   text,
    ADD COLUMN retention_released_at   timestamptz,
    ADD COLUMN version                 integer NOT NULL DEFAULT 1;

CREATE TABLE milestones (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contract_id     uuid NOT NULL REFERENCES contracts (id),
    position        integer NOT NULL CHECK (position >= 1),
    title           text NOT NULL CHECK (title <> ''),
    description     text NOT NULL DEFAULT '',
    due_date        date,
    amount          bigint NOT NULL CHECK (amount > 0),
    status          text NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'funded', 'completed', 'approved', 'paid', 'disputed')),
    -- The state a dispute froze, to resume from when it is resolved.
    disputed_from   text CHECK (disputed_from IN ('planned', 'funded', 'completed', 'approved')),
    completion_note text NOT NULL DEFAULT '',
    dispute_reason  text NOT NULL DEFAULT '',
    completed_at    timestamptz,
    approved_at     timestamptz,
    paid_at         timestamptz,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'disputed') = (disputed_from IS NOT NULL))
);
CREATE INDEX milestones_contract_idx ON milestones (contract_id, position);

-- One escrow per milestone at a time: a cancelled or refunded one may be followed by another.
CREATE TABLE escrows (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    milestone_id      uuid NOT NULL REFERENCES milestones (id),
    contract_id       uuid NOT NULL REFERENCES contracts (id),
    project_id        uuid NOT NULL REFERENCES projects (id),
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    fee               bigint NOT NULL CHECK (fee >= 0),
    retention         bigint NOT NULL CHECK (retention >= 0),
    CHECK (fee + retention <= amount),
    status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'funded', 'released', 'cancelled', 'refunded')),
    simulated         boolean NOT NULL DEFAULT false,
    payment_intent_id text UNIQUE,
    client_secret     text,
    -- none: not asked; requested: the owner released and the transfer is owed (a job
    -- retries it while Stripe is unreachable); sent: Stripe made it (transfer_id).
    release_state     text NOT NULL DEFAULT 'none' CHECK (release_state IN ('none', 'requested', 'sent')),
    transfer_id       text,
    refund_id         text,
    funded_at         timestamptz,
    release_requested_at timestamptz,
    released_at       timestamptz,
    refunded_at       timestamptz,
    cancelled_at      timestamptz,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX escrows_live_milestone_idx ON escrows (milestone_id) WHERE status NOT IN ('cancelled', 'refunded');
CREATE INDEX escrows_project_idx ON escrows (project_id, created_at);
CREATE INDEX escrows_contract_idx ON escrows (contract_id);
CREATE INDEX escrows_release_owed_idx ON escrows (release_requested_at) WHERE release_state = 'requested';

-- A contractor company's Stripe Express account: one per company, made on first need.
CREATE TABLE payout_accounts (
    entity_id         bigint PRIMARY KEY REFERENCES entities (id),
    stripe_account_id text NOT NULL UNIQUE,
    simulated         boolean NOT NULL DEFAULT false,
    details_submitted boolean NOT NULL DEFAULT false,
    payouts_enabled   boolean NOT NULL DEFAULT false, -- the transfers capability is active
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Stripe's webhook events by id: an event is processed once, in the transaction of its effect.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The double-entry ledger: each row moves amount from the credit account to the debit
-- account; an account's balance is its debits less its credits.
CREATE TABLE ledger_postings (
    id           bigserial PRIMARY KEY,
    contract_id  uuid NOT NULL REFERENCES contracts (id),
    milestone_id uuid REFERENCES milestones (id),
    escrow_id    uuid REFERENCES escrows (id),
    kind         text NOT NULL CHECK (kind IN ('funding', 'release', 'fee', 'retention_held', 'transfer', 'retention_released', 'refund')),
    debit        text NOT NULL CHECK (debit IN ('owner_funding', 'escrow_held', 'platform_fees', 'contractor_payable', 'retention_held', 'contractor_paid')),
    credit       text NOT NULL CHECK (credit IN ('owner_funding', 'escrow_held', 'platform_fees', 'contractor_payable', 'retention_held', 'contractor_paid')),
    CHECK (debit <> credit),
    amount       bigint NOT NULL CHECK (amount > 0),
    currency     text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_postings_contract_idx ON ledger_postings (contract_id, id);
CREATE INDEX ledger_postings_escrow_idx ON ledger_postings (escrow_id) WHERE escrow_id IS NOT NULL;

-- +goose Down
DROP TABLE ledger_postings;
DROP TABLE stripe_events;
DROP TABLE payout_accounts;
DROP TABLE escrows;
DROP TABLE milestones;
ALTER TABLE contracts
    DROP COLUMN version,
    DROP COLUMN retention_released_at,
    DROP COLUMN retention_transfer_id,
    DROP COLUMN retention_release_state,
    DROP COLUMN retention_bp;
