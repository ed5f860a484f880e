-- Durations with sub-millisecond precision: a call served in 0.4 ms used to
-- read 0, shorter than its first token (ttft_ms is DOUBLE PRECISION).
-- duration_us is an integer, so the duration sort keeps an exact keyset
-- cursor; duration_ms stays, written rounded down, for readers of the old
-- column.
ALTER TABLE responses ADD COLUMN duration_us BIGINT NOT NULL DEFAULT 0;
UPDATE responses SET duration_us = duration_ms * 1000;
DROP INDEX idx_responses_duration;
CREATE INDEX idx_responses_duration ON responses(duration_us, id);

-- upstream_attempts counts completion attempts only; attempts to open a new
-- Qwen chat (one per first turn, more on retries) are counted here. Calls
-- recorded before this migration counted both in upstream_attempts.
ALTER TABLE responses ADD COLUMN new_chat_attempts INTEGER NOT NULL DEFAULT 0;
