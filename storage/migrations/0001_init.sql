-- Afterglow schema, version 1.
-- Times are unix milliseconds (UTC); 0 means unset.
-- Columns holding user-written text are BLOBs sealed with AES-256-GCM by the Go code.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Pending invitations only: accepting, declining or withdrawing deletes the row.
-- AUTOINCREMENT so an id seen in an old button is never given to a new invitation.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    inviter_id TEXT    NOT NULL,
    invitee_id TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX invitations_pair    ON invitations (inviter_id, invitee_id);
CREATE INDEX invitations_invitee ON invitations (invitee_id, created_at);
CREATE INDEX invitations_expiry  ON invitations (expires_at);

-- Every invitation ever created, whatever its fate, for the daily limit.
CREATE TABLE invitation_log (
    inviter_id TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX invitation_log_inviter ON invitation_log (inviter_id, created_at);
CREATE INDEX invitation_log_created ON invitation_log (created_at);

-- A partner link, stored once per pair with user_lo < user_hi.
CREATE TABLE partners (
    user_lo TEXT    NOT NULL,
    user_hi TEXT    NOT NULL,
    since   INTEGER NOT NULL,
    PRIMARY KEY (user_lo, user_hi),
    CHECK (user_lo < user_hi)
) WITHOUT ROWID;
CREATE INDEX partners_hi ON partners (user_hi);

-- The blocked person is kept only as a keyed hash so a block outlives their deletion.
CREATE TABLE blocks (
    blocker_id   TEXT    NOT NULL,
    blocked_hash BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_hash)
) WITHOUT ROWID;

CREATE TABLE user_settings (
    user_id           TEXT PRIMARY KEY,
    time_zone         TEXT    NOT NULL,
    quiet_start       INTEGER NOT NULL,
    quiet_end         INTEGER NOT NULL,
    invites_off       INTEGER NOT NULL,
    followups_default INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE guild_settings (
    guild_id         TEXT PRIMARY KEY,
    resources        BLOB,
    checkins_off     INTEGER NOT NULL,
    public_aftercare INTEGER NOT NULL
) WITHOUT ROWID;

-- body is the sealed JSON of the plan's texts.
CREATE TABLE plans (
    user_id    TEXT PRIMARY KEY,
    body       BLOB    NOT NULL,
    shared     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT: ids appear in buttons and DM nonces and must never be reused.
CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id       TEXT    NOT NULL,
    recipient_id    TEXT    NOT NULL,
    guild_id        TEXT    NOT NULL,
    note            BLOB,
    due_at          INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    channel_id      TEXT    NOT NULL DEFAULT '',
    message_id      TEXT    NOT NULL DEFAULT '',
    sent_at         INTEGER NOT NULL DEFAULT 0,
    late            INTEGER NOT NULL DEFAULT 0,
    answer          TEXT    NOT NULL DEFAULT '',
    words           BLOB,
    answered_at     INTEGER NOT NULL DEFAULT 0,
    fail_reason     TEXT    NOT NULL DEFAULT '',
    sender_notified INTEGER NOT NULL DEFAULT 0,
    parent_id       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    -- updated_at is the row's last timestamp; retention counts from it.
    updated_at      INTEGER NOT NULL
);
-- The delivery loop: earliest pending row, due rows in order, and the (few) rows being sent.
CREATE INDEX checkins_due ON checkins (status, next_attempt_at);
CREATE INDEX checkins_pair ON checkins (sender_id, recipient_id, created_at);
CREATE INDEX checkins_recipient ON checkins (recipient_id, status);
CREATE INDEX checkins_updated ON checkins (updated_at);
