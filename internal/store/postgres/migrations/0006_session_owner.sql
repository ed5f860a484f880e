-- The proxy API key that opened each session (its id, never the key; NULL
-- without keys): only that key continues the conversation.
ALTER TABLE sessions ADD COLUMN api_key_id TEXT;

-- Sessions deleted (by the API, the CLI or retention of their calls), by id
-- and Qwen chat: a state of one of them still in a server's memory or
-- spool is never written back, so a deleted session never comes back.
-- A new session may later take the same id, with a chat of its own.
CREATE TABLE deleted_sessions (
  id         TEXT NOT NULL,
  chat_id    TEXT NOT NULL,
  deleted_at BIGINT NOT NULL,
  PRIMARY KEY (id, chat_id)
);
