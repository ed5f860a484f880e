-- How many bare HTTP 403s in a row an account had met at an upstream when
-- its state was set (each after the rest the one before called for; a
-- success ends the run, and the third takes the account out). It was
-- counted in each process's memory only: a server that restarted between
-- the 403s — a crash loop, a deploy — began again at one each time, and
-- never took a banned account out. Kept with the state, a restart or
-- another instance goes on counting.
ALTER TABLE qwen_account_states ADD COLUMN forbidden_run INTEGER NOT NULL DEFAULT 0;
