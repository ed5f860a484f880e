-- How many requests each proxy API key made, by the hour and by the UTC day
-- they began, the model asked for, the account and the status, for the
-- request list's total under api_key_id (alone or with a model, an account,
-- a status, a time range): it counted the key's entries in its index,
-- 37-281 ms for the key of half of a million calls (call_counts and
-- request_hours keep no key; the rollups per key, 0026, count responses by
-- when they ended and the model that answered). A range's whole days are
-- read from request_key_days, the whole hours at either end from
-- request_key_hours, the minutes at its ends from the rows. Kept with
-- call_counts by every write (one upsert a key, hour, model, account and
-- status a batch holds, and as many a day) and delete, which removes the
-- rows it brings to zero: so a table never holds more rows than the calls
-- recorded with a key, nor per hour or day more than the keys the operator
-- made times the models, accounts and the two statuses. Calls made without
-- a key (auth off) have no rows here. Keyed by key first, so a key's span
-- is one range of the primary key.
CREATE TABLE request_key_hours (
  api_key_id TEXT    NOT NULL,
  bucket     BIGINT  NOT NULL, -- hour start (UTC), Unix ms
  model      TEXT    NOT NULL,
  account    TEXT    NOT NULL,
  status     TEXT    NOT NULL,
  calls      BIGINT  NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account, status)
);
CREATE TABLE request_key_days (
  api_key_id TEXT    NOT NULL,
  bucket     BIGINT  NOT NULL, -- day start (UTC), Unix ms
  model      TEXT    NOT NULL,
  account    TEXT    NOT NULL,
  status     TEXT    NOT NULL,
  calls      BIGINT  NOT NULL,
  PRIMARY KEY (api_key_id, bucket, model, account, status)
);
INSERT INTO request_key_hours (api_key_id, bucket, model, account, status, calls)
SELECT api_key_id, timestamp - timestamp % 3600000, model, COALESCE(account, ''), status, COUNT(*) FROM requests
WHERE api_key_id IS NOT NULL GROUP BY api_key_id, timestamp - timestamp % 3600000, model, COALESCE(account, ''), status;
INSERT INTO request_key_days (api_key_id, bucket, model, account, status, calls)
SELECT api_key_id, bucket - bucket % 86400000, model, account, status, SUM(calls) FROM request_key_hours
GROUP BY api_key_id, bucket - bucket % 86400000, model, account, status;
