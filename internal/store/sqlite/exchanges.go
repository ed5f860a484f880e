package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	qp "qwenproxy"
)

// WriteExchanges stores a batch of recorded calls in one transaction: per call
// one requests row, one responses row and their bodies.
func (s *Store) WriteExchanges(ctx context.Context, batch []qp.Exchange) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write exchanges: begin: %w", err)
	}
	defer tx.Rollback()
	stmts, err := prepareExchangeStatements(ctx, tx)
	if err != nil {
		return err
	}
	defer stmts.close()
	for i := range batch {
		if err := stmts.insert(ctx, &batch[i]); err != nil {
			return fmt.Errorf("write exchange %s: %w", batch[i].Request.RequestID, err)
		}
	}
	if err := addRollups(ctx, tx, batch); err != nil {
		return fmt.Errorf("write exchanges: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write exchanges: commit: %w", err)
	}
	return nil
}

type exchangeStatements struct {
	request, requestBody, response, responseBody *sql.Stmt
}

func prepareExchangeStatements(ctx context.Context, tx *sql.Tx) (*exchangeStatements, error) {
	var st exchangeStatements
	var err error
	prep := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = tx.PrepareContext(ctx, q)
		}
	}
	prep(&st.request, `INSERT INTO requests
		(session_id, request_id, timestamp, method, path, model, stream, client_ip, user_agent, created_at, status, finish_reason)
		VALUES (NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))`)
	prep(&st.requestBody, `INSERT INTO request_bodies (request_id, openai_request, qwen_request) VALUES (?, ?, ?)`)
	prep(&st.response, `INSERT INTO responses
		(request_id, session_id, response_id, timestamp, model, stream, status, http_status, finish_reason,
		 chat_id, parent_id, prompt_tokens, completion_tokens, total_tokens, ttft_ms, duration_ms,
		 upstream_attempts, error_type, error, created_at)
		VALUES (?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?)`)
	prep(&st.responseBody, `INSERT INTO response_bodies (response_id, openai_response, qwen_response) VALUES (?, ?, ?)`)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("write exchanges: prepare: %w", err)
	}
	return &st, nil
}

func (st *exchangeStatements) close() {
	for _, s := range []*sql.Stmt{st.request, st.requestBody, st.response, st.responseBody} {
		if s != nil {
			s.Close()
		}
	}
}

func (st *exchangeStatements) insert(ctx context.Context, e *qp.Exchange) error {
	rq, rs := &e.Request, &e.Response
	res, err := st.request.ExecContext(ctx, rq.SessionID, rq.RequestID, rq.Timestamp.UnixMilli(), rq.Method, rq.Path,
		rq.Model, rq.Stream, rq.ClientIP, rq.UserAgent, rq.Timestamp.UnixMilli(), rs.Status, rs.FinishReason)
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
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
		rs.Duration.Milliseconds(), rs.UpstreamAttempts, rs.ErrorType, rs.ErrorMessage, rs.Timestamp.UnixMilli())
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
