-- The names people's sign-ins give them, so members and authors can be shown by
-- name and invited by e-mail/UPN. Kept from each sign-in; portable SQL.

CREATE TABLE people (
    principal TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX people_by_name ON people (display_name);
