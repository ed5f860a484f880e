-- Each hour's and each UTC day's calls of every model and account together,
-- beside the rollups by model and account: statistics by hour or by day
-- (the dashboard's and the API's by_bucket) summed a period's rows per
-- bucket, a year's 216,000 hourly rows by hour (0.35-1.9 s on SQLite) and
-- 20,000 daily ones by day, where these hold 8,760 and 365. model and
-- account are always '': the rows have the other rollups' shape, so one
-- reader and writer serve them all. Filled from the hourly rollups by the
-- store after this migration (histograms merged and encoded anew), then
-- maintained with them: one more row an hour and a day a batch touches.
CREATE TABLE stats_hourly_totals (
  bucket            INTEGER NOT NULL, -- hour start (UTC), Unix ms
  model             TEXT NOT NULL DEFAULT '',
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  total_tokens      INTEGER NOT NULL,
  duration_sum      REAL NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          REAL NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (bucket, model, account)
) WITHOUT ROWID;
CREATE TABLE stats_daily_totals (
  bucket            INTEGER NOT NULL, -- day start (UTC), Unix ms
  model             TEXT NOT NULL DEFAULT '',
  account           TEXT NOT NULL DEFAULT '',
  requests          INTEGER NOT NULL,
  errors            INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  total_tokens      INTEGER NOT NULL,
  duration_sum      REAL NOT NULL,
  duration_n        INTEGER NOT NULL,
  ttft_sum          REAL NOT NULL,
  ttft_n            INTEGER NOT NULL,
  duration_hist     TEXT NOT NULL,
  ttft_hist         TEXT NOT NULL,
  PRIMARY KEY (bucket, model, account)
) WITHOUT ROWID;
