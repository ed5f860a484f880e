-- Limited API keys' calls in flight (`keys add --max-concurrent`), one row
-- a call until it ends, so that instances sharing the database enforce one
-- limit between them instead of each its own. A row whose lease has run out
-- (its instance died before ending the call) no longer counts; renewed while
-- the call lasts.
CREATE TABLE key_calls (
  call_id    TEXT PRIMARY KEY,
  key_id     TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX idx_key_calls_key ON key_calls (key_id, expires_at);
