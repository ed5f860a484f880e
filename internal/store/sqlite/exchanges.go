package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	qp "qwenproxy"
)

// WriteExchanges stores recorded calls (a batch without sessions).
func (s *Store) WriteExchanges(ctx context.Context, batch []qp.Exchange) error {
	return s.WriteBatch(ctx, qp.Batch{Exchanges: batch})
}

// WriteBatch stores, in one transaction, the sessions' current state and
// per call one requests row, one responses row and their bodies.
func (s *Store) WriteBatch(ctx context.Context, b qp.Batch) error {
	prepared, err := s.writePrepared(ctx)
	if err != nil {
		return err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write batch: begin: %w", err)
	}
	defer tx.Rollback()
	stmts := prepared.bind(ctx, tx)
	for i := range b.Sessions {
		if _, err := stmts.session.ExecContext(ctx, sessionArgs(&b.Sessions[i])...); err != nil {
			return fmt.Errorf("write session %s: %w", b.Sessions[i].ID, err)
		}
	}
	for i := range b.Exchanges {
		if err := stmts.insert(ctx, &b.Exchanges[i]); err != nil {
			return fmt.Errorf("write exchange %s: %w", b.Exchanges[i].Request.RequestID, err)
		}
	}
	if err := addRollups(ctx, stmts, b.Exchanges); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write exchanges: commit: %w", err)
	}
	return nil
}

// writeStatements are the batch writer's statements, prepared once on the
// single write connection and bound to each transaction.
type writeStatements struct {
	session, request, requestBody, response, responseBody, rollupRead, rollupWrite *sql.Stmt
}

// writePrepared returns the prepared statements, preparing them on first
// use. It must not run inside a transaction: the write pool's one
// connection would be taken.
func (s *Store) writePrepared(ctx context.Context) (*writeStatements, error) {
	s.prepMu.Lock()
	defer s.prepMu.Unlock()
	if s.prepared == nil {
		st, err := prepareWriteStatements(ctx, s.write)
		if err != nil {
			return nil, err
		}
		s.prepared = st
	}
	return s.prepared, nil
}

// bind returns the statements bound to tx.
func (p *writeStatements) bind(ctx context.Context, tx *sql.Tx) *writeStatements {
	return &writeStatements{session: tx.StmtContext(ctx, p.session), request: tx.StmtContext(ctx, p.request),
		requestBody: tx.StmtContext(ctx, p.requestBody), response: tx.StmtContext(ctx, p.response),
		responseBody: tx.StmtContext(ctx, p.responseBody), rollupRead: tx.StmtContext(ctx, p.rollupRead),
		rollupWrite: tx.StmtContext(ctx, p.rollupWrite)}
}

func prepareWriteStatements(ctx context.Context, db *sql.DB) (*writeStatements, error) {
	var st writeStatements
	var err error
	prep := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = db.PrepareContext(ctx, q)
		}
	}
	prep(&st.session, upsertSession)
	// A call naming a session that never reached the database (its write was
	// refused) is kept, without the session, rather than failing the batch.
	prep(&st.request, `INSERT INTO requests
		(session_id, request_id, timestamp, method, path, model, stream, client_ip, user_agent, created_at, status, finish_reason, api_key_id)
		VALUES ((SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''))
		ON CONFLICT(request_id) DO NOTHING`)
	prep(&st.requestBody, `INSERT INTO request_bodies (request_id, openai_request, qwen_request) VALUES (?, ?, ?)`)
	prep(&st.response, `INSERT INTO responses
		(request_id, session_id, response_id, timestamp, model, stream, status, http_status, finish_reason,
		 chat_id, parent_id, prompt_tokens, completion_tokens, total_tokens, ttft_ms, duration_ms,
		 upstream_attempts, error_type, error, created_at, upstream_errors)
		VALUES (?, (SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, NULLIF(?, ''))`)
	prep(&st.responseBody, `INSERT INTO response_bodies (response_id, openai_response, qwen_response) VALUES (?, ?, ?)`)
	prep(&st.rollupRead, `SELECT `+rollupColumns+` FROM stats_hourly WHERE bucket = ? AND model = ?`)
	prep(&st.rollupWrite, rollupUpsert)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("write batch: prepare: %w", err)
	}
	return &st, nil
}

func (st *writeStatements) close() {
	for _, s := range []*sql.Stmt{st.session, st.request, st.requestBody, st.response, st.responseBody, st.rollupRead, st.rollupWrite} {
		if s != nil {
			s.Close()
		}
	}
}

func (st *writeStatements) insert(ctx context.Context, e *qp.Exchange) error {
	rq, rs := &e.Request, &e.Response
	res, err := st.request.ExecContext(ctx, rq.SessionID, rq.RequestID, rq.Timestamp.UnixMilli(), rq.Method, rq.Path,
		rq.Model, rq.Stream, rq.ClientIP, rq.UserAgent, rq.Timestamp.UnixMilli(), rs.Status, rs.FinishReason, rq.APIKeyID)
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // already recorded (a batch replayed from the spool): idempotent
	}
	reqID, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	if rq.OpenAIRequest != nil || rq.QwenRequest != nil {
		if _, err := st.requestBody.ExecContext(ctx, reqID, nullText(rq.OpenAIRequest), nullText(rq.QwenRequest)); err != nil {
			return fmt.Errorf("insert request body: %w", err)
		}
	}
	res, err = st.response.ExecContext(ctx, reqID, rq.SessionID, rs.ResponseID, rs.Timestamp.UnixMilli(), rq.Model, rq.Stream,
		rs.Status, rs.HTTPStatus, rs.FinishReason, rs.ChatID, rs.ParentID,
		rs.PromptTokens, rs.CompletionTokens, rs.TotalTokens, ttftMillis(rq, rs),
		rs.Duration.Milliseconds(), rs.UpstreamAttempts, rs.ErrorType, rs.ErrorMessage, rs.Timestamp.UnixMilli(),
		strings.Join(rs.UpstreamErrors, "; "))
	if err != nil {
		return fmt.Errorf("insert response: %w", err)
	}
	respID, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert response: %w", err)
	}
	if rs.OpenAIResponse != nil || rs.QwenResponse != nil {
		if _, err := st.responseBody.ExecContext(ctx, respID, nullText(rs.OpenAIResponse), nullText(rs.QwenResponse)); err != nil {
			return fmt.Errorf("insert response body: %w", err)
		}
	}
	return nil
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
