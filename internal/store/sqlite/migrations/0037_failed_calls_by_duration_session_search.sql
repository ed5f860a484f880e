-- PostgreSQL's migration 0037 indexes the failed calls by error type and
-- duration (it walked the duration index of every call, reading each row,
-- for the response list under an error type sorted by duration) and the
-- session search by trigrams. SQLite, which reads a page's ids before its
-- rows, took 4-8 ms for that page at a million calls, and an index beside
-- the failed calls' own would take the place of that one in the plans that
-- count the failed calls by type; its session search still reads every
-- first message (see BENCHMARKS.md). The migration exists so that both
-- backends' schemas have the same numbers.
SELECT 1;
