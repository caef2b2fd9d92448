-- bid_rates_item_idx (tender_item_id) served no query: leveling and the addendum's
-- redraft read rates by bid or by (tender_id, tender_item_id), which bid_rates_tender_idx
-- and the primary key cover, and so do the foreign keys' cascades. Every submission of
-- a bid's rates maintained it for nothing.

-- +goose Up
DROP INDEX bid_rates_item_idx;

-- +goose Down
CREATE INDEX bid_rates_item_idx ON bid_rates (tender_item_id);
