-- The ids clients gave the input items of their Responses API calls
-- ({"type":"message","id":"msg_abc",…}), which an item_reference names: the
-- call holding one is found by its key and the id alone, one index lookup,
-- rather than by reading the key's latest calls. Ids only: the items stay in
-- the calls' bodies. One row per id of a key, naming the latest call that
-- carried it (a client resending its history with ids every turn adds a row
-- per new id, not one per id per call): a newer call takes the row over, an
-- older one (the backfill below) never does. A call's rows go with it
-- (retention, oldest first, so the latest carrier goes last; a deleted
-- session); DELETE /v1/responses/{id} removes its own.
CREATE TABLE IF NOT EXISTS response_item_ids (
  api_key_id TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  PRIMARY KEY (api_key_id, item_id)
);
CREATE INDEX IF NOT EXISTS idx_response_item_ids_request ON response_item_ids(request_id);
-- The calls recorded before this migration are indexed in the background
-- (their ids are in compressed bodies, which SQL cannot read): through_id is
-- the last requests row id done, up_to the last one to do (the calls after it
-- were indexed as they were written).
CREATE TABLE IF NOT EXISTS response_item_ids_backfill (
  one        INTEGER PRIMARY KEY CHECK (one = 1),
  through_id BIGINT NOT NULL,
  up_to      BIGINT NOT NULL
);
INSERT INTO response_item_ids_backfill (one, through_id, up_to)
  SELECT 1, 0, COALESCE((SELECT MAX(id) FROM requests), 0) WHERE NOT EXISTS (SELECT 1 FROM response_item_ids_backfill);
-- The items a Responses API request's item_reference items named when it was
-- answered (a JSON object of the ids named to the items as listed, secrets
-- redacted, compressed as bodies' parts are): its input items are listed from
-- them, whatever becomes of the responses and conversations they were found
-- in. Kept beside the request body, which stays what the client sent. A
-- call's row goes with it.
CREATE TABLE IF NOT EXISTS response_referenced_items (
  request_id BIGINT PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
  items      BYTEA NOT NULL
);
