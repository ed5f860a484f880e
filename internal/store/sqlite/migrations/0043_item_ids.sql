-- The ids clients gave the items they added to a conversation straight
-- (POST /v1/conversations and …/items: {"type":"message","id":"msg_abc",…}),
-- which an item_reference names from any call of the conversation's key, as
-- OpenAI resolves an item id across the project: the entry holding one is
-- found by its key and the id alone, one index lookup. Ids only: the items
-- stay in their entries. One row per id of a key, naming the latest entry
-- that carried it (an id added again moves the row, adds none); created_at
-- is that entry's, so that an older one (the backfill below) never takes
-- the row back. A row goes with its entry (a deleted item, a deleted
-- conversation, retention).
CREATE TABLE IF NOT EXISTS conversation_item_ids (
  api_key_id      TEXT NOT NULL,
  item_id         TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (api_key_id, item_id),
  FOREIGN KEY (conversation_id, seq) REFERENCES conversation_entries(conversation_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_conversation_item_ids_entry ON conversation_item_ids(conversation_id, seq);
-- The conversations made before this migration are indexed when the server
-- starts (their items' ids are read as a call's are, which SQL cannot do),
-- in the order of their ids: after_id is the last done. The row goes once
-- all are.
CREATE TABLE IF NOT EXISTS conversation_item_ids_backfill (
  one      INTEGER PRIMARY KEY CHECK (one = 1),
  after_id TEXT NOT NULL
);
INSERT INTO conversation_item_ids_backfill (one, after_id)
  SELECT 1, '' WHERE NOT EXISTS (SELECT 1 FROM conversation_item_ids_backfill) AND EXISTS (SELECT 1 FROM conversation_entries WHERE item IS NOT NULL);
-- The call that carried an id of response_item_ids (migration 0041) before
-- the one its row names, when a newer call took the row over:
-- DELETE /v1/responses/{id} of the latest carrier hands the row back to it,
-- when it is still there and its response not deleted, rather than dropping
-- the id. One step: the row handed back has none. No foreign key and no
-- index (nothing is written on the recorder's path but the row itself): ids
-- are never given twice, and a call gone is checked for when the row is
-- handed back.
ALTER TABLE response_item_ids ADD COLUMN previous_request_id INTEGER;
