-- Qwen accounts the proxy signs in itself (issue 11). One row per account:
-- added with `qwenproxy accounts add` (source 'stored', with its password)
-- or named by QWEN_ACCOUNTS (source 'environment', no password here). The
-- state columns are shared by every instance on the database: a cooldown one
-- instance finds spares the others, and one sign-in serves them all.
-- Secrets (password, cookies) are AES-GCM sealed with QWENPROXY_SECRET_KEY,
-- never stored in clear; without a key no secret is stored at all.
CREATE TABLE qwen_accounts (
  id                TEXT PRIMARY KEY,        -- the e-mail, lower-cased
  source            TEXT NOT NULL,           -- stored or environment
  password_sealed   TEXT,                    -- stored accounts only
  cookies_sealed    TEXT,                    -- the signed-in Cookie header, shared between instances
  token_expires_at  INTEGER NOT NULL DEFAULT 0,
  state             TEXT NOT NULL DEFAULT 'ready',
  failure_class     TEXT NOT NULL DEFAULT '',
  cooldown_until    INTEGER NOT NULL DEFAULT 0,
  failed_credential TEXT NOT NULL DEFAULT '', -- fingerprint of the password Qwen refused
  state_at          INTEGER NOT NULL DEFAULT 0, -- when the state last changed (newest wins)
  signin_until      INTEGER NOT NULL DEFAULT 0, -- an instance is signing in until then
  calls             INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

-- Failures by class per account (a bounded set of classes), added to in place
-- so that instances counting at once never lose each other's counts.
CREATE TABLE qwen_account_failures (
  account TEXT NOT NULL REFERENCES qwen_accounts(id) ON DELETE CASCADE,
  class   TEXT NOT NULL,
  count   INTEGER NOT NULL,
  PRIMARY KEY (account, class)
);

-- The account that served each call and each conversation (an id or e-mail, never a secret).
ALTER TABLE sessions ADD COLUMN account TEXT;
ALTER TABLE requests ADD COLUMN account TEXT;
ALTER TABLE responses ADD COLUMN account TEXT;
CREATE INDEX idx_requests_account ON requests(account, timestamp);
CREATE INDEX idx_responses_account ON responses(account, timestamp);

-- Hourly rollups gain the account as a key, so statistics group by it.
CREATE TABLE stats_hourly_new (
  bucket            INTEGER NOT NULL,
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
INSERT INTO stats_hourly_new (bucket, model, account, requests, errors, prompt_tokens, completion_tokens, total_tokens,
  duration_sum, duration_n, ttft_sum, ttft_n, duration_hist, ttft_hist)
  SELECT bucket, model, '', requests, errors, prompt_tokens, completion_tokens, total_tokens,
  duration_sum, duration_n, ttft_sum, ttft_n, duration_hist, ttft_hist FROM stats_hourly;
DROP TABLE stats_hourly;
ALTER TABLE stats_hourly_new RENAME TO stats_hourly;
