-- The request list under an error type read the failed calls' request ids
-- from the responses' partial index and tested the requests against them:
-- its total over a time range counted every request of the range (the
-- responses' times are not the requests', so that index could not count
-- them alone), 10-33 ms at a million calls. Why a call ended is kept on its
-- request too, as its status is (0002): written with the response, in the
-- same transaction, and NULL for a call that succeeded. A partial index of
-- the failed calls by error type and request time makes the list's page and
-- its total, over any range, a range of it; it carries the model, account
-- and key the list filters by, after the id that orders a page. A call that
-- succeeds (nearly every call) writes nothing here.
ALTER TABLE requests ADD COLUMN error_type TEXT;
UPDATE requests SET error_type = (SELECT r.error_type FROM responses r WHERE r.request_id = requests.id)
    WHERE id IN (SELECT request_id FROM responses WHERE error_type IS NOT NULL);
CREATE INDEX idx_requests_error_type ON requests(error_type, timestamp, id, model, account, api_key_id)
    WHERE error_type IS NOT NULL;
