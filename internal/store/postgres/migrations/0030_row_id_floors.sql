-- SQLite's migration 0030 keeps the highest id given to requests and
-- responses rows, so that the ids of deleted calls are not given again.
-- PostgreSQL's identity columns never give an id twice: nothing to keep here.
-- The migration exists so that both backends' schemas have the same numbers.
SELECT 1;
