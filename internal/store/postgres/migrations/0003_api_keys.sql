-- Proxy API keys, stored as SHA-256 hashes: the key itself is shown once,
-- when it is made, and never stored.
CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL DEFAULT '',
  hash       TEXT NOT NULL UNIQUE,
  admin      BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL
);

-- Which key made each call (its id, never the key).
ALTER TABLE requests ADD COLUMN api_key_id TEXT;

-- One row, rewritten by the readiness check: a real write and read.
CREATE TABLE health (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at BIGINT NOT NULL
);

-- Qwen credentials set with `qwenproxy credentials set` (one row). They are
-- the proxy's own secrets: never copied into recorded calls, never exported.
CREATE TABLE qwen_credentials (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  token      TEXT NOT NULL,
  cookies    TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- How each failed upstream attempt of a call failed ("server 500", "rate_limited 429", …), in order.
ALTER TABLE responses ADD COLUMN upstream_errors TEXT;
