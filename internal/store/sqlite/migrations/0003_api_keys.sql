-- Proxy API keys, stored as SHA-256 hashes: the key itself is shown once,
-- when it is made, and never stored.
CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL DEFAULT '',
  hash       TEXT NOT NULL UNIQUE,
  admin      INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

-- Which key made each call (its id, never the key).
ALTER TABLE requests ADD COLUMN api_key_id TEXT;

-- One row, rewritten by the readiness check: a real write and read.
CREATE TABLE health (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at INTEGER NOT NULL
);
