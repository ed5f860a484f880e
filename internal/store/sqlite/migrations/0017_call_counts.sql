-- How many calls each list holds by the values its filters take, for the
-- lists' total: counting a filter's rows one by one took 0.3-0.6 s for a
-- model's errors in a million requests (the daily rollups count by the
-- model that answered, and not by stream or finish reason, so the request
-- list could not use them). One row per list ('requests' keyed by the model
-- asked for, 'responses' by the model that answered), model, account,
-- status, stream and finish reason: a few thousand at most, however many
-- calls. Kept with every write and delete, in the same transaction.
CREATE TABLE call_counts (
  list          TEXT NOT NULL,
  model         TEXT NOT NULL,
  account       TEXT NOT NULL,
  status        TEXT NOT NULL,
  stream        INTEGER NOT NULL,
  finish_reason TEXT NOT NULL,
  calls         INTEGER NOT NULL,
  PRIMARY KEY (list, model, account, status, stream, finish_reason)
) WITHOUT ROWID;
INSERT INTO call_counts (list, model, account, status, stream, finish_reason, calls)
SELECT 'requests', model, COALESCE(account, ''), status, stream, COALESCE(finish_reason, ''), COUNT(*)
FROM requests GROUP BY model, COALESCE(account, ''), status, stream, COALESCE(finish_reason, '');
INSERT INTO call_counts (list, model, account, status, stream, finish_reason, calls)
SELECT 'responses', model, COALESCE(account, ''), status, stream, COALESCE(finish_reason, ''), COUNT(*)
FROM responses GROUP BY model, COALESCE(account, ''), status, stream, COALESCE(finish_reason, '');
