package sqlstore

import (
	"context"
	"fmt"
	"strings"

	qp "qwenproxy"
)

// maxChunk bounds the rows of one multi-row INSERT: 128 rows of the widest
// table are ~2,700 parameters, far below both backends' limits.
const maxChunk = 128

// chunkSize is the largest power of two up to maxChunk and n. Batches are cut
// into chunks of these few sizes so that their statements, prepared once,
// are reused (preparing a 100-row INSERT costs SQLite a quarter of the
// writer's time).
func chunkSize(n int) int {
	size := maxChunk
	for size > n {
		size /= 2
	}
	return size
}

// WriteExchanges stores recorded calls (a batch without sessions).
func (s *Store) WriteExchanges(ctx context.Context, batch []qp.Exchange) error {
	return s.WriteBatch(ctx, qp.Batch{Exchanges: batch})
}

// WriteBatch stores, in one transaction, the sessions' current state and
// per call one requests row, one responses row and their bodies, with
// multi-row inserts. A call already stored (a batch replayed from the
// spool) is skipped, so writing a batch twice stores it once.
func (s *Store) WriteBatch(ctx context.Context, b qp.Batch) error {
	if err := s.prepareChunks(ctx, len(b.Exchanges)); err != nil {
		return fmt.Errorf("write batch: prepare: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write batch: begin: %w", err)
	}
	defer tx.Rollback()
	for i := range b.Sessions {
		if _, err := tx.ExecContext(ctx, upsertSession, sessionArgs(&b.Sessions[i])...); err != nil {
			return fmt.Errorf("write session %s: %w", b.Sessions[i].ID, err)
		}
	}
	var written []qp.Exchange
	for rest := b.Exchanges; len(rest) > 0; {
		chunk := rest[:chunkSize(len(rest))]
		rest = rest[len(chunk):]
		n, err := s.insertExchanges(ctx, tx, chunk)
		if err != nil {
			return fmt.Errorf("write exchanges: %w", err)
		}
		written = append(written, n...)
	}
	if len(written) > 0 {
		if err := s.dialect.LockRollups(ctx, tx.Tx); err != nil {
			return fmt.Errorf("write batch: lock rollups: %w", err)
		}
		if err := addRollups(ctx, tx, written); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write batch: commit: %w", err)
	}
	return nil
}

// The multi-row INSERTs of n rows each.
func insertRequests(n int) string {
	return `INSERT INTO requests
		(session_id, request_id, timestamp, method, path, model, stream, client_ip, user_agent, created_at, status, finish_reason, api_key_id, ignored_params, account)
		VALUES ` + values(`((SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''))`, n) + `
		ON CONFLICT (request_id) DO NOTHING RETURNING request_id, id`
}

func insertResponses(n int) string {
	return `INSERT INTO responses
		(request_id, session_id, response_id, timestamp, model, stream, status, http_status, finish_reason,
		 chat_id, parent_id, prompt_tokens, completion_tokens, total_tokens, ttft_ms, duration_ms,
		 upstream_attempts, error_type, error, created_at, upstream_errors, account)
		VALUES ` + values(`(?, (SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, NULLIF(?, ''), NULLIF(?, ''))`, n) + `
		RETURNING response_id, id`
}

func insertRequestBodies(n int) string {
	return `INSERT INTO request_bodies (request_id, openai_request, qwen_request) VALUES ` + values(`(?, ?, ?)`, n)
}

func insertResponseBodies(n int) string {
	return `INSERT INTO response_bodies (response_id, openai_response, qwen_response) VALUES ` + values(`(?, ?, ?)`, n)
}

// values repeats one row's placeholders n times.
func values(row string, n int) string {
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// prepareChunks prepares, before the batch's transaction holds the write
// connection, the statements of the chunk sizes the batch will use when
// every call is new and carries bodies or none does (the common case; any
// other statement is prepared where it runs).
func (s *Store) prepareChunks(ctx context.Context, calls int) error {
	for calls > 0 {
		n := chunkSize(calls)
		calls -= n
		for _, q := range []string{insertRequests(n), insertResponses(n), insertRequestBodies(n), insertResponseBodies(n)} {
			if err := s.prepare(ctx, q); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertExchanges writes one chunk of calls and returns those that were new.
func (s *Store) insertExchanges(ctx context.Context, tx *txn, chunk []qp.Exchange) ([]qp.Exchange, error) {
	// A call naming a session that never reached the database (its write was
	// refused) is kept, without the session, rather than failing the batch.
	args := make([]any, 0, len(chunk)*22)
	for i := range chunk {
		rq, rs := &chunk[i].Request, &chunk[i].Response
		args = append(args, rq.SessionID, rq.RequestID, rq.Timestamp.UnixMilli(), rq.Method, rq.Path, rq.Model, rq.Stream,
			rq.ClientIP, rq.UserAgent, rq.Timestamp.UnixMilli(), rs.Status, rs.FinishReason, rq.APIKeyID, strings.Join(rq.IgnoredParams, ","), rq.Account)
	}
	requestIDs, err := s.insertReturning(ctx, tx, insertRequests(len(chunk)), args)
	if err != nil {
		return nil, fmt.Errorf("insert requests: %w", err)
	}
	var written []qp.Exchange
	args, bodies := args[:0], []any(nil)
	for i := range chunk {
		rq, rs := &chunk[i].Request, &chunk[i].Response
		id, ok := requestIDs[rq.RequestID]
		if !ok {
			continue // already stored
		}
		delete(requestIDs, rq.RequestID) // a call twice in one batch is written once
		written = append(written, chunk[i])
		if rq.OpenAIRequest != nil || rq.QwenRequest != nil {
			bodies = append(bodies, id, nullText(rq.OpenAIRequest), nullText(rq.QwenRequest))
		}
		args = append(args, id, rq.SessionID, rs.ResponseID, rs.Timestamp.UnixMilli(), chunk[i].AnsweringModel(), rq.Stream,
			rs.Status, rs.HTTPStatus, rs.FinishReason, rs.ChatID, rs.ParentID,
			rs.PromptTokens, rs.CompletionTokens, rs.TotalTokens, ttftMillis(rq, rs),
			rs.Duration.Milliseconds(), rs.UpstreamAttempts, rs.ErrorType, rs.ErrorMessage, rs.Timestamp.UnixMilli(),
			strings.Join(rs.UpstreamErrors, "; "), rq.Account)
	}
	if len(written) == 0 {
		return nil, nil
	}
	if err := s.insertRows(ctx, tx, insertRequestBodies(len(bodies)/3), bodies); err != nil {
		return nil, fmt.Errorf("insert request bodies: %w", err)
	}
	responseIDs, err := s.insertReturning(ctx, tx, insertResponses(len(written)), args)
	if err != nil {
		return nil, fmt.Errorf("insert responses: %w", err)
	}
	bodies = bodies[:0]
	for i := range written {
		rs := &written[i].Response
		if rs.OpenAIResponse != nil || rs.QwenResponse != nil {
			bodies = append(bodies, responseIDs[rs.ResponseID], nullText(rs.OpenAIResponse), nullText(rs.QwenResponse))
		}
	}
	if err := s.insertRows(ctx, tx, insertResponseBodies(len(bodies)/3), bodies); err != nil {
		return nil, fmt.Errorf("insert response bodies: %w", err)
	}
	return written, nil
}

// insertReturning runs a multi-row INSERT … RETURNING key, id and maps each
// inserted row's key to its id. Rows come back in no promised order.
func (s *Store) insertReturning(ctx context.Context, tx *txn, query string, args []any) (map[string]int64, error) {
	rows, err := s.stmt(ctx, tx, query).QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var key string
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return nil, err
		}
		ids[key] = id
	}
	return ids, rows.Err()
}

// insertRows runs one multi-row INSERT, unless it has no rows.
func (s *Store) insertRows(ctx context.Context, tx *txn, query string, args []any) error {
	if len(args) == 0 {
		return nil
	}
	_, err := s.stmt(ctx, tx, query).ExecContext(ctx, args...)
	return err
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// ttftMillis is the time to first token in fractional milliseconds, or NULL
// when the call produced no token.
func ttftMillis(rq *qp.Request, rs *qp.Response) any {
	if rs.FirstTokenAt.IsZero() {
		return nil
	}
	return float64(rs.FirstTokenAt.Sub(rq.Timestamp).Microseconds()) / 1000
}
