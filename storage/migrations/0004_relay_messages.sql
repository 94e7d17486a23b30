-- The DMs that relayed a recipient's answer or words to a check-in's sender, by id only (the
-- text is not kept), so that /privacy delete can delete them from the sender's DMs. They go
-- with their check-in, whether retention or a deletion removes it.
CREATE TABLE relay_messages (
    checkin_id INTEGER NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    channel_id TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    PRIMARY KEY (checkin_id, message_id)
) WITHOUT ROWID;
