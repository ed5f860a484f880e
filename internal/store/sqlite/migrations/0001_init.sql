-- Conversations: one Qwen chat per client conversation. Times are Unix ms.
CREATE TABLE sessions (
  id                 TEXT PRIMARY KEY,
  chat_id            TEXT NOT NULL,
  parent_id          TEXT,
  model              TEXT NOT NULL DEFAULT '',
  first_user_message TEXT NOT NULL,
  message_count      INTEGER NOT NULL DEFAULT 0,
  created_at         INTEGER NOT NULL,
  last_accessed      INTEGER NOT NULL,
  expires_at         INTEGER NOT NULL,
  user_id            TEXT,
  -- Hash of the history the next request of this conversation will resend.
  conversation_hash  TEXT
);
CREATE INDEX idx_sessions_conversation_hash ON sessions(conversation_hash) WHERE conversation_hash IS NOT NULL;
CREATE INDEX idx_sessions_created_at ON sessions(created_at);
CREATE INDEX idx_sessions_chat_id ON sessions(chat_id);

-- One row per client call. Bodies live in request_bodies so that lists and
-- statistics never read them.
CREATE TABLE requests (
  id          INTEGER PRIMARY KEY,
  session_id  TEXT REFERENCES sessions(id) ON DELETE CASCADE,
  request_id  TEXT NOT NULL UNIQUE,
  timestamp   INTEGER NOT NULL,
  method      TEXT NOT NULL,
  path        TEXT NOT NULL,
  model       TEXT NOT NULL,
  stream      INTEGER NOT NULL,
  client_ip   TEXT NOT NULL DEFAULT '',
  user_agent  TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX idx_requests_session_id ON requests(session_id, id);
CREATE INDEX idx_requests_timestamp ON requests(timestamp);

CREATE TABLE request_bodies (
  request_id     INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
  openai_request TEXT,
  qwen_request   TEXT
);

-- Exactly one row per request, success or failure.
CREATE TABLE responses (
  id                 INTEGER PRIMARY KEY,
  request_id         INTEGER NOT NULL UNIQUE REFERENCES requests(id) ON DELETE CASCADE,
  session_id         TEXT REFERENCES sessions(id) ON DELETE CASCADE,
  response_id        TEXT NOT NULL UNIQUE,
  timestamp          INTEGER NOT NULL,
  model              TEXT NOT NULL,
  stream             INTEGER NOT NULL,
  status             TEXT NOT NULL,
  http_status        INTEGER NOT NULL,
  finish_reason      TEXT,
  chat_id            TEXT,
  parent_id          TEXT,
  prompt_tokens      INTEGER,
  completion_tokens  INTEGER,
  total_tokens       INTEGER,
  ttft_ms            REAL,
  duration_ms        INTEGER NOT NULL,
  upstream_attempts  INTEGER NOT NULL DEFAULT 0,
  error_type         TEXT,
  error              TEXT,
  created_at         INTEGER NOT NULL
);
CREATE INDEX idx_responses_session_id ON responses(session_id, id);
CREATE INDEX idx_responses_timestamp ON responses(timestamp);

CREATE TABLE response_bodies (
  response_id     INTEGER PRIMARY KEY REFERENCES responses(id) ON DELETE CASCADE,
  openai_response TEXT,
  qwen_response   TEXT
);
