-- As migrations/0004_relay_messages.sql: the DMs that relayed an answer, by id only.
CREATE TABLE relay_messages (
    checkin_id BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    channel_id TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (checkin_id, message_id)
);
