-- Daily rollups beside the hourly ones, by the UTC day a call ended, model
-- and account: a year of traffic over a dozen models and several accounts
-- is some 200,000 hourly rows, and statistics over all time read them all
-- (a second); whole days read from here are a twenty-fourth of that. Built
-- now from the hourly rollups (their histograms joined: "bucket:count"
-- pairs add up when read), then maintained with them.
CREATE TABLE stats_daily (
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
  PRIMARY KEY (bucket, model, account)
);
INSERT INTO stats_daily (bucket, model, account, requests, errors, prompt_tokens, completion_tokens, total_tokens,
  duration_sum, duration_n, ttft_sum, ttft_n, duration_hist, ttft_hist)
SELECT bucket - bucket % 86400000, model, account, SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens),
  SUM(total_tokens), SUM(duration_sum), SUM(duration_n), SUM(ttft_sum), SUM(ttft_n),
  string_agg(duration_hist, ','), string_agg(ttft_hist, ',')
FROM stats_hourly GROUP BY bucket - bucket % 86400000, model, account;
