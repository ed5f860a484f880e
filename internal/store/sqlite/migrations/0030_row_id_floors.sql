-- SQLite gives a new row the largest id plus one: once the newest calls were
-- deleted (their session, a prune, retention), the next calls got their ids
-- again, so a link to a deleted call (/v1/requests/30, the dashboard's
-- #/calls/30) opened another one, and the dashboard's Live page, which skips
-- ids it has shown, did not show the new call. The store now reserves the
-- ids of new requests and responses rows above the highest it ever gave,
-- kept here per table. Ids given twice before this migration stay as they are.
CREATE TABLE row_id_floors (
  name  TEXT PRIMARY KEY, -- the table: requests or responses
  floor INTEGER NOT NULL  -- the highest id given to a row of it so far
);
INSERT INTO row_id_floors (name, floor)
SELECT 'requests', COALESCE(MAX(id), 0) FROM requests
UNION ALL
SELECT 'responses', COALESCE(MAX(id), 0) FROM responses;
