-- The response list sorted by total tokens ordered by COALESCE(total_tokens,
-- 0), which no index served (0011 dropped the plain index on the column, as
-- it could not), so each page read and sorted every response: a second and
-- more at a million calls. Every call since the first version is written
-- with its count (0 for none); the rows that hold none (NULL) get that 0,
-- and the sort reads the column through this index (with the id
-- tiebreaker), by which a page at any depth, by cursor, is a range. One
-- B-tree entry per recorded call.
UPDATE responses SET total_tokens = 0 WHERE total_tokens IS NULL;
CREATE INDEX idx_responses_total_tokens ON responses(total_tokens, id);
