-- A key's limit on its calls in flight at once (`qwenproxy keys add
-- --max-concurrent`, `keys limit`): one runaway agent cannot take all of the
-- proxy's upstream capacity. 0: no limit, what every key had before.
ALTER TABLE api_keys ADD COLUMN max_concurrent INTEGER NOT NULL DEFAULT 0;
