-- Monthly rollups beside the daily and hourly ones, by the UTC month a call
-- ended, model and account: statistics over all time read a year's daily
-- rows (some 20,000 at a dozen models and six accounts: 92-215 ms on
-- SQLite), and a month holds a thirtieth of its days' rows. Filled from the daily
-- rollups by the store after this migration (its histograms re-encoded:
-- joined here, a month's text would be thirty days' long), then maintained
-- with them.
CREATE TABLE stats_monthly (
  bucket            INTEGER NOT NULL, -- month start (UTC), Unix ms
  model             TEXT NOT NULL,
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
