-- An account's state, its shared token and the claim on its sign-in are its
-- state at one upstream (QWEN_BASE_URL; the simulator's under serve
-- --mock-upstream): a rate limit, a cooldown or a refused password the
-- simulator set kept the account out when the same database was then served
-- against chat.qwen.ai, where nothing had happened to it. Each upstream now
-- has its own row here; serving against one neither reads nor changes
-- another's, so that going back to it finds its state as it was. The state
-- of the accounts before this was recorded against no named upstream: it is
-- taken as chat.qwen.ai's (QWEN_BASE_URL's default), where it stays in
-- force. A token the simulator issued stays unusable there: the sealed value
-- names the upstream that issued it.
CREATE TABLE qwen_account_states (
  account           TEXT NOT NULL REFERENCES qwen_accounts(id) ON DELETE CASCADE,
  upstream          TEXT NOT NULL,
  state             TEXT NOT NULL DEFAULT 'ready',
  failure_class     TEXT NOT NULL DEFAULT '',
  cooldown_until    INTEGER NOT NULL DEFAULT 0,
  failed_credential TEXT NOT NULL DEFAULT '', -- fingerprint of the password this upstream refused
  state_at          INTEGER NOT NULL DEFAULT 0, -- when the state last changed (newest wins)
  cookies_sealed    TEXT,                       -- the Cookie header signed in at this upstream
  token_expires_at  INTEGER NOT NULL DEFAULT 0,
  signin_until      INTEGER NOT NULL DEFAULT 0, -- an instance is signing in here until then
  PRIMARY KEY (account, upstream)
);
INSERT INTO qwen_account_states (account, upstream, state, failure_class, cooldown_until, failed_credential, state_at,
  cookies_sealed, token_expires_at, signin_until)
SELECT id, 'https://chat.qwen.ai', state, failure_class, cooldown_until, failed_credential, state_at,
  cookies_sealed, token_expires_at, signin_until
FROM qwen_accounts
WHERE state <> 'ready' OR failure_class <> '' OR state_at <> 0 OR cookies_sealed IS NOT NULL OR token_expires_at <> 0 OR signin_until <> 0;
ALTER TABLE qwen_accounts DROP COLUMN cookies_sealed;
ALTER TABLE qwen_accounts DROP COLUMN token_expires_at;
ALTER TABLE qwen_accounts DROP COLUMN state;
ALTER TABLE qwen_accounts DROP COLUMN failure_class;
ALTER TABLE qwen_accounts DROP COLUMN cooldown_until;
ALTER TABLE qwen_accounts DROP COLUMN failed_credential;
ALTER TABLE qwen_accounts DROP COLUMN state_at;
ALTER TABLE qwen_accounts DROP COLUMN signin_until;
