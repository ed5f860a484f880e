-- How many requests began in each hour, for the request list's total under
-- a time range alone: it counted the range's rows, 15-53 ms for 90 days of
-- a million calls (the rollups count calls by the hour they ended, and
-- call_counts keeps no time). One row an hour, kept with call_counts by
-- every write (one upsert an hour a batch holds) and delete.
CREATE TABLE request_hours (
  bucket INTEGER NOT NULL PRIMARY KEY, -- hour start (UTC), Unix ms
  calls  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO request_hours (bucket, calls)
SELECT timestamp - timestamp % 3600000, COUNT(*) FROM requests GROUP BY timestamp - timestamp % 3600000;
