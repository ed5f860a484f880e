-- Responses API objects (resp_…) their owner deleted with
-- DELETE /v1/responses/{id}: the recorded call stays in the history (its
-- statistics too); only GET /v1/responses/{id} no longer returns it.
CREATE TABLE deleted_responses (
  request_id TEXT PRIMARY KEY REFERENCES requests(request_id) ON DELETE CASCADE,
  deleted_at BIGINT NOT NULL
);
