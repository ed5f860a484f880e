-- QWEN_DELETE_CHATS deletes the Qwen chat of a session that expired, once.
-- named: the session was named by its client (X-Session-Id), which may send
-- only its new message long after it expired: its chat holds the context,
-- and is kept. chat_deleted_at: Unix ms the chat was deleted (NULL: not).
ALTER TABLE sessions ADD COLUMN named INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN chat_deleted_at BIGINT;
