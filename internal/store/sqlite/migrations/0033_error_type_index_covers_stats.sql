-- The statistics' by_error_type counts the failed calls of a range under a
-- model, an account or a key, and the request list filtered by error_type
-- reads the failed calls' request ids: with only (error_type, timestamp) in
-- the partial index, each failed call's row was read for them (0.1-0.3 s at
-- a million calls). The index holds them too, after the id that orders the
-- response list by time. Only failed calls have an entry, so a call that
-- succeeds (nearly every call) still writes nothing here.
DROP INDEX IF EXISTS idx_responses_error_type;
CREATE INDEX idx_responses_error_type ON responses(error_type, timestamp, id, request_id, model, account, api_key_id)
    WHERE error_type IS NOT NULL;
