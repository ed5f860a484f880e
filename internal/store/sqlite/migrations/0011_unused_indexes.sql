-- Indexes no query uses, each a B-tree entry on every call's write: no
-- query looks sessions up by chat_id (and a chat id is random, so every
-- insert lands on its own page of the index), and the sort by total tokens
-- orders by COALESCE(total_tokens, 0), which a plain index on the column
-- does not serve.
DROP INDEX idx_sessions_chat_id;
DROP INDEX idx_responses_tokens;
