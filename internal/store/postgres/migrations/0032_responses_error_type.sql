-- The history's error_type filter and the statistics' by_error_type read
-- the failed calls by why they ended. Only failed calls have an error_type:
-- a partial index holds their entries alone, so a call that succeeds (nearly
-- every call) writes nothing more.
CREATE INDEX IF NOT EXISTS idx_responses_error_type ON responses(error_type, timestamp, id) WHERE error_type IS NOT NULL;
