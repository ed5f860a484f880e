-- How each call ended, on the request too: the request list filters on it
-- without a join. Written once, with the response, in the same transaction.
ALTER TABLE requests ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN finish_reason TEXT;
UPDATE requests SET status = (SELECT status FROM responses WHERE responses.request_id = requests.id),
  finish_reason = (SELECT finish_reason FROM responses WHERE responses.request_id = requests.id);

-- Indexes for every filter and sort of the history API: each filter column
-- leads, the sort column follows, so a filtered page is an index range.
DROP INDEX idx_requests_session_id;
CREATE INDEX idx_requests_session ON requests(session_id, timestamp, id);
CREATE INDEX idx_requests_model ON requests(model, timestamp, id);
CREATE INDEX idx_requests_stream ON requests(stream, timestamp, id);
CREATE INDEX idx_requests_status ON requests(status, timestamp, id);
CREATE INDEX idx_requests_finish ON requests(finish_reason, timestamp, id);

DROP INDEX idx_responses_session_id;
CREATE INDEX idx_responses_session ON responses(session_id, timestamp, id);
CREATE INDEX idx_responses_model ON responses(model, timestamp, id);
CREATE INDEX idx_responses_status ON responses(status, timestamp, id);
CREATE INDEX idx_responses_finish ON responses(finish_reason, timestamp, id);
CREATE INDEX idx_responses_duration ON responses(duration_ms, id);
CREATE INDEX idx_responses_tokens ON responses((COALESCE(total_tokens, 0)), id);

CREATE INDEX idx_sessions_last_accessed ON sessions(last_accessed, rowid);
CREATE INDEX idx_sessions_message_count ON sessions(message_count, rowid);
CREATE INDEX idx_sessions_model ON sessions(model, created_at, rowid);

-- Hourly rollups of responses (by the hour a call ended), maintained with
-- every write and rebuilt for the hours a delete touches: statistics over
-- any range read a few rows per hour instead of every call.
CREATE TABLE stats_hourly (
  bucket            BIGINT NOT NULL, -- hour start, Unix ms
  model             TEXT NOT NULL,
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  total_tokens      INTEGER NOT NULL,
  duration_sum      DOUBLE PRECISION NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          DOUBLE PRECISION NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (bucket, model)
);
