-- A second key a session is found by (NULL for none): the history a client
-- resends when it keeps, as the answer of a turn whose stream was cut, the
-- part it got before the cut run together with the answer its retry was
-- given (Qwen Code does). cut_state is what the failed turns since the
-- session's latest answer left for it: the digest state of the part that
-- reached the client, and the conversation they sent ('' for none). Both
-- are a few hundred bytes at most, whatever the answer's length.
ALTER TABLE sessions ADD COLUMN cut_conversation_hash TEXT;
ALTER TABLE sessions ADD COLUMN cut_state TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_sessions_cut_conversation_hash ON sessions(cut_conversation_hash) WHERE cut_conversation_hash IS NOT NULL;
