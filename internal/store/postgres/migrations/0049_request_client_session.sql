-- The client's own id of its conversation (NULL for none, and for the calls
-- before this migration): the id a coding agent shows its user (Claude
-- Code's session, Codex's, OpenCode's), from the request headers the server
-- reads it from, at most 128 bytes of A-Z, a-z, 0-9 and "-_.:". Indexed, by
-- the calls that have one only, so the history's client_session_id filter
-- is a range of the index in the lists' time and id order.
ALTER TABLE requests ADD COLUMN client_session_id TEXT;
CREATE INDEX idx_requests_client_session ON requests(client_session_id, timestamp, id) WHERE client_session_id IS NOT NULL;
