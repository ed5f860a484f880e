-- The history filtered by the proxy API key that made each call
-- (api_key_id=). Only the requests held the key, so the response list and
-- statistics (which read responses) found a key's calls through the set of
-- its requests' ids: 1.5 s a page, and 0.75 s for one day's statistics, of
-- the key of half of a million calls. The response keeps its request's key,
-- as it keeps its account (written with it, never changed), and both tables
-- are indexed by the key then the time, as by the account (0005): a page in
-- time order is one range of the index, and a key's total counts its entries.
-- One B-tree entry per recorded call in each table. Responses of calls made
-- without a key (NULL) are left as they are.
CREATE INDEX idx_requests_api_key ON requests(api_key_id, timestamp);
ALTER TABLE responses ADD COLUMN api_key_id TEXT;
UPDATE responses SET api_key_id = (SELECT q.api_key_id FROM requests q WHERE q.id = responses.request_id)
WHERE request_id IN (SELECT id FROM requests WHERE api_key_id IS NOT NULL);
CREATE INDEX idx_responses_api_key ON responses(api_key_id, timestamp);
