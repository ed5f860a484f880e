-- The ids of the tool calls of each session's last answer, separated by
-- spaces ('' for none). Conversations identical so far (parallel runs of one
-- prompt) expect one conversation key: a request answering tool calls
-- continues the session whose answer made them, not another's.
ALTER TABLE sessions ADD COLUMN last_call_ids TEXT NOT NULL DEFAULT '';
