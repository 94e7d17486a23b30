-- As migrations/0003_refusals.sql: hidden (refused) invitations and invitation cooldowns.
ALTER TABLE invitations ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

CREATE TABLE invite_cooldowns (
    setter_id   TEXT COLLATE "C" NOT NULL,
    target_hash BYTEA  NOT NULL,
    until       BIGINT NOT NULL,
    PRIMARY KEY (setter_id, target_hash)
);
CREATE INDEX invite_cooldowns_until ON invite_cooldowns (until);
