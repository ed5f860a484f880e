-- The client's own id of its conversation that the call which opened the
-- session carried (requests.client_session_id of that call; NULL for none,
-- and for the sessions opened before this migration, which keep being
-- continued by any call whose history they expect). A call carrying
-- another id does not continue the session by its history: it opens a
-- session of its own. A coding agent's fork of a conversation (Claude
-- Code's `--resume <id> --fork-session`) resends the whole history of the
-- one it forks, under an id of its own, and took that conversation's
-- session and Qwen chat, the original then replayed into a new one.
ALTER TABLE sessions ADD COLUMN client_session_id TEXT;
