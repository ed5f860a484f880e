-- When a server last said it has an account of its QWEN_ACCOUNTS (or
-- QWEN_ACCOUNTS_FILE): it does at start and every 30 seconds. An environment
-- account's row no server has refreshed for minutes is no server's any
-- longer: `accounts rm` removes it, `accounts add` stores it. Rows that exist
-- now count as seen now.
ALTER TABLE qwen_accounts ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE qwen_accounts SET seen_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT WHERE source = 'environment';
