-- Rollups per proxy API key, beside those by model and account: statistics
-- under api_key_id read every call of the key in the range, row by row, as
-- the rollups kept no key (a busy key's 30 days 0.3-2.6 s at a million
-- calls). These have the other rollups' shape with the key (its id) in
-- front: hourly, daily and monthly rows by key, model and account, and each
-- hour's and day's totals of a key's models and accounts (model and account
-- ''), so one reader and writer serve them all. Calls made without a key
-- (auth off) have no rows here. The rows stay bounded: one per period, key,
-- model and account that had calls (never more than the calls), the keys
-- being those the operator made. Keyed by key first, so a key's range is one
-- range of the primary key; indexed by period too, for the rebuilds after a
-- delete (by the hour, day and month). Filled from the calls by the store
-- after this migration (once, while they are empty and a call has a key),
-- then maintained with the others.
CREATE TABLE stats_key_hourly (
  api_key_id        TEXT NOT NULL,
  bucket            BIGINT NOT NULL, -- hour start (UTC), Unix ms
  model             TEXT NOT NULL,
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  total_tokens      BIGINT NOT NULL,
  duration_sum      DOUBLE PRECISION NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          DOUBLE PRECISION NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account)
);
CREATE INDEX idx_stats_key_hourly_bucket ON stats_key_hourly(bucket);
CREATE TABLE stats_key_daily (
  api_key_id        TEXT NOT NULL,
  bucket            BIGINT NOT NULL, -- day start (UTC), Unix ms
  model             TEXT NOT NULL,
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  total_tokens      BIGINT NOT NULL,
  duration_sum      DOUBLE PRECISION NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          DOUBLE PRECISION NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account)
);
CREATE INDEX idx_stats_key_daily_bucket ON stats_key_daily(bucket);
CREATE TABLE stats_key_monthly (
  api_key_id        TEXT NOT NULL,
  bucket            BIGINT NOT NULL, -- month start (UTC), Unix ms
  model             TEXT NOT NULL,
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  total_tokens      BIGINT NOT NULL,
  duration_sum      DOUBLE PRECISION NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          DOUBLE PRECISION NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account)
);
CREATE INDEX idx_stats_key_monthly_bucket ON stats_key_monthly(bucket);
CREATE TABLE stats_key_hourly_totals (
  api_key_id        TEXT NOT NULL,
  bucket            BIGINT NOT NULL, -- hour start (UTC), Unix ms
  model             TEXT NOT NULL DEFAULT '',
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  total_tokens      BIGINT NOT NULL,
  duration_sum      DOUBLE PRECISION NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          DOUBLE PRECISION NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account)
);
CREATE INDEX idx_stats_key_hourly_totals_bucket ON stats_key_hourly_totals(bucket);
CREATE TABLE stats_key_daily_totals (
  api_key_id        TEXT NOT NULL,
  bucket            BIGINT NOT NULL, -- day start (UTC), Unix ms
  model             TEXT NOT NULL DEFAULT '',
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  total_tokens      BIGINT NOT NULL,
  duration_sum      DOUBLE PRECISION NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          DOUBLE PRECISION NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account)
);
CREATE INDEX idx_stats_key_daily_totals_bucket ON stats_key_daily_totals(bucket);
