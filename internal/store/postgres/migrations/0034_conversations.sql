-- The Conversations API's objects (conv_…). A conversation belongs to the
-- key that made it (key_id, '' where no keys exist). last_seq numbers its
-- entries; lock_token and locked_until hold it for the one call answering in
-- it (a lease: a process that dies holding it lets go when it runs out).
-- IF NOT EXISTS: a schema put back to an earlier migration runs this again.
CREATE TABLE IF NOT EXISTS conversations (
  id           TEXT PRIMARY KEY,
  key_id       TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL,
  metadata     TEXT NOT NULL DEFAULT '{}',
  last_seq     BIGINT NOT NULL DEFAULT 0,
  lock_token   TEXT NOT NULL DEFAULT '',
  locked_until BIGINT NOT NULL DEFAULT 0
);
-- A conversation's entries in order: an item added directly (item, its
-- JSON as sent; entry_id its UUID, which its item id is made from), or a
-- response answered in it (response_id; entry_id its call's request id),
-- whose items are read from the recorded call. Deleting a conversation
-- deletes its entries, not the calls.
CREATE TABLE IF NOT EXISTS conversation_entries (
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq             BIGINT NOT NULL,
  entry_id        TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  item            TEXT,
  response_id     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (conversation_id, seq)
);
