-- SQLite's migration 0038 indexes the session search by trigrams of each
-- first message in the search's folded form; PostgreSQL's did so in 0037
-- (pg_trgm). The migration exists so that both backends' schemas have the
-- same numbers.
SELECT 1;
