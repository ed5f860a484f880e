-- What each session's Qwen chat was last told: the hashes of the system
-- prompt and of the tool set stated in it ('' for none). A turn whose system
-- prompt or tools differ states them again, whole; kept here so that this
-- survives a restart and holds across instances.
ALTER TABLE sessions ADD COLUMN told_system_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN told_tools_hash TEXT NOT NULL DEFAULT '';
