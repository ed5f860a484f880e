-- Bodies stored once (internal/store/bodies): the large pieces of a body
-- (messages, tools, system prompts: array elements and strings of 128 bytes
-- or more) are parts, each distinct one stored once, compressed; a body is a
-- skeleton — what is particular to the call, with references to its parts —
-- compressed too. Rows written before this migration keep their text in the
-- old columns until the background re-encoding moves them.
CREATE TABLE body_parts (
  id        INTEGER PRIMARY KEY,
  hash      BLOB NOT NULL UNIQUE,  -- SHA-256 of the part's bytes
  size      INTEGER NOT NULL,      -- the part's bytes, uncompressed
  data      BLOB NOT NULL,         -- the part, compressed (first byte: format)
  last_used INTEGER NOT NULL       -- Unix ms a write last referenced it
);

-- How many calls' bodies use each part: added to when a call is written,
-- taken from when it is deleted (its skeletons say which parts it used). A
-- part no call uses is removed (see internal/store/sqlstore/bodies.go). A
-- count rather than a row per use: an agent's call uses every earlier turn,
-- so rows per use would grow with the square of a conversation's length.
-- Apart from body_parts so that counting never rewrites a part's data.
CREATE TABLE body_part_uses (
  part_id INTEGER PRIMARY KEY REFERENCES body_parts(id) ON DELETE CASCADE,
  uses    INTEGER NOT NULL
);
CREATE INDEX idx_body_part_uses_unused ON body_part_uses(part_id) WHERE uses <= 0;

ALTER TABLE request_bodies ADD COLUMN openai_request_z BLOB;
ALTER TABLE request_bodies ADD COLUMN qwen_request_z BLOB;
ALTER TABLE response_bodies ADD COLUMN openai_response_z BLOB;
ALTER TABLE response_bodies ADD COLUMN qwen_response_z BLOB;

-- The bodies still whole, as text, for the background re-encoding to find
-- without scanning every body (empty once it is done).
CREATE INDEX idx_request_bodies_text ON request_bodies(request_id)
  WHERE openai_request IS NOT NULL OR qwen_request IS NOT NULL;
CREATE INDEX idx_response_bodies_text ON response_bodies(response_id)
  WHERE openai_response IS NOT NULL OR qwen_response IS NOT NULL;
