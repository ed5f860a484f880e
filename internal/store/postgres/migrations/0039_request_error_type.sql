-- The request list under an error type read the failed calls' request ids
-- from the responses' partial index and tested the requests against them:
-- its total over a time range counted every request of the range (the
-- responses' times are not the requests', so that index could not count
-- them alone), 16-33 ms at a million calls, and its page 13-20 ms under
-- load. Why a call ended is kept on its request too, as its status is
-- (0002): written with the response, in the same transaction, and NULL for
-- a call that succeeded (adding a column without a default rewrites no
-- row). A partial index of the failed calls by error type and request time
-- makes the list's page and its total, over any range, a range of it; it
-- carries the model, account and key the list filters by. A call that
-- succeeds (nearly every call) writes nothing here.
ALTER TABLE requests ADD COLUMN IF NOT EXISTS error_type TEXT;
UPDATE requests q SET error_type = r.error_type FROM responses r
    WHERE r.request_id = q.id AND r.error_type IS NOT NULL AND q.error_type IS DISTINCT FROM r.error_type;
CREATE INDEX IF NOT EXISTS idx_requests_error_type ON requests(error_type, timestamp, id) INCLUDE (model, account, api_key_id)
    WHERE error_type IS NOT NULL;
