-- A refused invitation (blocked, invitations off, cooling down) is stored like any other but
-- hidden = 1: only its inviter sees it, so a refusal looks exactly like closed DMs.
ALTER TABLE invitations ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

-- After a decline or a removal, the declined or removed person may not invite setter_id
-- until `until`. Like blocks, the other person is kept only as a keyed hash.
CREATE TABLE invite_cooldowns (
    setter_id   TEXT    NOT NULL,
    target_hash BLOB    NOT NULL,
    until       INTEGER NOT NULL,
    PRIMARY KEY (setter_id, target_hash)
) WITHOUT ROWID;
CREATE INDEX invite_cooldowns_until ON invite_cooldowns (until);
