-- Indexes no query uses, each a B-tree entry on every call's write: no
-- query looks sessions up by chat_id (and a chat id is random, so every
-- insert lands on its own page of the index), and the sort by total tokens
-- orders by COALESCE(total_tokens, 0), which a plain index on the column
-- does not serve. IF EXISTS: a database whose operator dropped one already
-- still migrates.
DROP INDEX IF EXISTS idx_sessions_chat_id;
DROP INDEX IF EXISTS idx_responses_tokens;
