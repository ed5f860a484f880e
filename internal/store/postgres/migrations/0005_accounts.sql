-- Qwen accounts the proxy signs in itself (issue 11). One row per account:
-- added with `qwenproxy accounts add` (source 'stored', with its password)
-- or named by QWEN_ACCOUNTS (source 'environment', no password here). The
-- state columns are shared by every instance on the database: a cooldown one
-- instance finds spares the others, and one sign-in serves them all.
-- Secrets (password, cookies) are AES-GCM sealed with QWENPROXY_SECRET_KEY,
-- never stored in clear; without a key no secret is stored at all.
CREATE TABLE qwen_accounts (
  id                TEXT PRIMARY KEY,
  source            TEXT NOT NULL,
  password_sealed   TEXT,
  cookies_sealed    TEXT,
  token_expires_at  BIGINT NOT NULL DEFAULT 0,
  state             TEXT NOT NULL DEFAULT 'ready',
  failure_class     TEXT NOT NULL DEFAULT '',
  cooldown_until    BIGINT NOT NULL DEFAULT 0,
  failed_credential TEXT NOT NULL DEFAULT '',
  state_at          BIGINT NOT NULL DEFAULT 0,
  signin_until      BIGINT NOT NULL DEFAULT 0,
  calls             BIGINT NOT NULL DEFAULT 0,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);

-- Failures by class per account (a bounded set of classes), added to in place
-- so that instances counting at once never lose each other's counts.
CREATE TABLE qwen_account_failures (
  account TEXT NOT NULL REFERENCES qwen_accounts(id) ON DELETE CASCADE,
  class   TEXT NOT NULL,
  count   BIGINT NOT NULL,
  PRIMARY KEY (account, class)
);

-- The account that served each call and each conversation (an id or e-mail, never a secret).
ALTER TABLE sessions ADD COLUMN account TEXT;
ALTER TABLE requests ADD COLUMN account TEXT;
ALTER TABLE responses ADD COLUMN account TEXT;
CREATE INDEX idx_requests_account ON requests(account, timestamp, id);
CREATE INDEX idx_responses_account ON responses(account, timestamp, id);

-- Hourly rollups gain the account as a key, so statistics group by it.
ALTER TABLE stats_hourly ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE stats_hourly DROP CONSTRAINT stats_hourly_pkey;
ALTER TABLE stats_hourly ADD PRIMARY KEY (bucket, model, account);
