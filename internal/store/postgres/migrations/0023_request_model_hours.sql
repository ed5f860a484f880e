-- How many requests of each model (the model asked for, as the request list
-- filters) began in each hour, for the request list's total under a time
-- range and a model: it counted the model's rows in the range, 7-15 ms on
-- SQLite and 84-377 ms on PostgreSQL for the busiest model's 90 days of a
-- million calls (request_hours keeps no model; the rollups keep the model
-- that answered, by the hour calls ended). One row a model and hour, kept
-- with request_hours by every write (one upsert a model and hour a batch
-- holds) and delete; keyed by model first, so a range of one model's hours
-- is one range of the key.
CREATE TABLE request_model_hours (
  model  TEXT   NOT NULL,
  bucket BIGINT NOT NULL, -- hour start (UTC), Unix ms
  calls  BIGINT NOT NULL,
  PRIMARY KEY (model, bucket)
);
INSERT INTO request_model_hours (model, bucket, calls)
SELECT model, timestamp - timestamp % 3600000, COUNT(*) FROM requests GROUP BY model, timestamp - timestamp % 3600000;
