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
CREATE INDEX idx_body_parts_last_used ON body_parts(last_used);

-- Which call's bodies use which part: a part no row names is removed. The
-- part's foreign key makes a removal that races a new reference fail rather
-- than leave the reference dangling.
CREATE TABLE body_refs (
  request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  part_id    INTEGER NOT NULL REFERENCES body_parts(id),
  PRIMARY KEY (request_id, part_id)
) WITHOUT ROWID;
CREATE INDEX idx_body_refs_part ON body_refs(part_id);

ALTER TABLE request_bodies ADD COLUMN openai_request_z BLOB;
ALTER TABLE request_bodies ADD COLUMN qwen_request_z BLOB;
ALTER TABLE response_bodies ADD COLUMN openai_response_z BLOB;
ALTER TABLE response_bodies ADD COLUMN qwen_response_z BLOB;
