-- +goose Up
-- One row per floor of a unit. The rules that span rows (floors numbered 1..n, areas
-- summing to the unit's total) are checked by the units package before every write, in
-- the same transaction as the write.
CREATE TABLE unit_floors (
    unit_id      uuid NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    floor_number integer NOT NULL CHECK (floor_number BETWEEN 1 AND 200),
    floor_area   numeric(12, 2) NOT NULL CHECK (floor_area > 0),
    PRIMARY KEY (unit_id, floor_number)
);

-- +goose Down
DROP TABLE unit_floors;
