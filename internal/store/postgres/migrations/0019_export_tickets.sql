-- One-time links to exports (POST /v1/export/tickets), in the database so
-- that a download reaching another instance than the one that made the
-- ticket is served too. Only the ticket's SHA-256 is stored; rows live a
-- minute and are deleted when used, and expired ones when a ticket is made.
CREATE TABLE export_tickets (
  hash       TEXT PRIMARY KEY,
  query      TEXT NOT NULL,
  filename   TEXT NOT NULL DEFAULT '',
  key_id     TEXT NOT NULL DEFAULT '',
  expires_at BIGINT NOT NULL
);
