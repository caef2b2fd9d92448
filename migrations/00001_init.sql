-- +goose Up
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE entities (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- One entity per company name, whatever its case or surrounding spaces.
CREATE UNIQUE INDEX entities_name_key ON entities (lower(btrim(name)));

CREATE TABLE categories (
    id   bigserial PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100)
);
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));

INSERT INTO categories (name) VALUES
  ('General Building'), ('Concrete'), ('Masonry'), ('Carpentry & Joinery'), ('Roofing'),
  ('Electrical'), ('Plumbing'), ('HVAC'), ('Plastering & Drylining'), ('Painting & Decorating'),
  ('Flooring & Tiling'), ('Glazing'), ('Landscaping'), ('Structural Steel'), ('Civil Works');

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    email         citext NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'inhouse', 'bidder', 'admin')),
    entity_id     bigint NOT NULL REFERENCES entities (id),
    category_id   bigint REFERENCES categories (id),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_entity_idx ON users (entity_id);

-- Server-side sessions: the cookie holds a random id; only its SHA-256 is stored,
-- so deleting rows ends sessions everywhere and a database leak gives no live cookie.
CREATE TABLE sessions (
    id_hash    bytea PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE projects (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    code          text NOT NULL CHECK (length(btrim(code)) BETWEEN 1 AND 40),
    address       text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    status        text NOT NULL DEFAULT 'planning'
                  CHECK (status IN ('planning', 'tendering', 'construction', 'completed', 'cancelled')),
    budget_amount bigint NOT NULL DEFAULT 0 CHECK (budget_amount >= 0),
    currency      text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$'),
    time_zone     text NOT NULL DEFAULT 'UTC',
    owner_id      uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX projects_owner_code_key ON projects (owner_id, lower(code));
CREATE INDEX projects_status_idx ON projects (status);

CREATE TABLE team_members (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('Project Owner', 'In-House User')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

CREATE TABLE invitations (
    id          bigserial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    email       citext NOT NULL,
    token       text NOT NULL UNIQUE,
    invited_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);
-- At most one pending invitation per email per project.
CREATE UNIQUE INDEX invitations_pending_key ON invitations (project_id, email) WHERE accepted_at IS NULL;

-- Units are part of a project's read model from the start (GET /api/projects/{id} lists
-- them); their floors and editor arrive with the units feature.
CREATE TABLE units (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    unit_number         text NOT NULL CHECK (length(btrim(unit_number)) BETWEEN 1 AND 40),
    unit_type           text NOT NULL DEFAULT '' CHECK (length(unit_type) <= 100),
    total_floor_area    numeric(12, 2) NOT NULL CHECK (total_floor_area > 0),
    number_of_floors    integer NOT NULL CHECK (number_of_floors BETWEEN 1 AND 200),
    number_of_rooms     integer NOT NULL CHECK (number_of_rooms BETWEEN 1 AND 1000),
    number_of_bathrooms integer NOT NULL CHECK (number_of_bathrooms BETWEEN 1 AND 1000),
    created_by_ai       boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX units_project_number_key ON units (project_id, lower(unit_number));

-- +goose Down
DROP TABLE units;
DROP TABLE invitations;
DROP TABLE team_members;
DROP TABLE projects;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE categories;
DROP TABLE entities;
