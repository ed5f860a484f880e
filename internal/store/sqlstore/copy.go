package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	qp "qwenproxy"
)

// CopyProgress is how far a Copy has come.
type CopyProgress struct {
	Sessions   int // sessions written so far
	Calls      int // calls read from the source so far, resumed ones included
	TotalCalls int // calls in the source when the copy started
	Resumed    int // calls skipped because an earlier copy had written them
}

// copyPage is how many calls one read and one write transaction hold.
const copyPage = 500

// Copy copies everything a proxy records from src into dst: API keys, the
// stored Qwen credentials (when dst has none), sessions, and every call with
// its response and bodies, in the order they were made. Writes are
// idempotent and go in pages, each committed whole, so a copy that stopped
// (^C, a lost connection) resumes: run again, it starts after the newest call
// dst already holds from src. Numeric row ids are renumbered by dst; request
// and response UUIDs, times and everything else are kept.
func Copy(ctx context.Context, src, dst *Store, progress func(CopyProgress)) (CopyProgress, error) {
	var p CopyProgress
	if err := copyKeys(ctx, src, dst); err != nil {
		return p, err
	}
	if err := src.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&p.TotalCalls); err != nil {
		return p, fmt.Errorf("copy: count calls: %w", err)
	}
	// Sessions first: a call is stored with its session only if the session
	// is there. Rewriting one that is already there changes nothing.
	o := qp.ListOptions{Limit: copyPage, Sort: "created_at", Asc: true, NoTotal: true}
	for {
		page, err := src.ListSessions(ctx, qp.SessionFilter{}, o)
		if err != nil {
			return p, fmt.Errorf("copy sessions: %w", err)
		}
		batch := make([]qp.Session, len(page.Items))
		for i := range page.Items {
			batch[i] = page.Items[i].Session
		}
		if err := dst.WriteBatch(ctx, qp.Batch{Sessions: batch}); err != nil {
			return p, fmt.Errorf("copy sessions: %w", err)
		}
		p.Sessions += len(batch)
		progress(p)
		if !page.HasMore {
			break
		}
		o.After = page.Next
	}
	calls := qp.ListOptions{Limit: copyPage, Asc: true, Bodies: true, NoTotal: true}
	resume, err := resumePoint(ctx, src, dst)
	if err != nil {
		return p, err
	}
	if resume != nil {
		calls.After = resume
		if err := src.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests WHERE (timestamp, id) <= (?, ?)`,
			resume.Value, resume.ID).Scan(&p.Resumed); err != nil {
			return p, fmt.Errorf("copy: %w", err)
		}
		p.Calls = p.Resumed
		progress(p)
	}
	for {
		page, err := src.ListRequests(ctx, qp.CallFilter{}, calls)
		if err != nil {
			return p, fmt.Errorf("copy calls: %w", err)
		}
		batch := make([]qp.Exchange, 0, len(page.Items))
		for i := range page.Items {
			if ex, ok := asExchange(&page.Items[i]); ok {
				batch = append(batch, ex)
			}
		}
		if err := dst.WriteExchanges(ctx, batch); err != nil {
			return p, fmt.Errorf("copy calls: %w", err)
		}
		p.Calls += len(page.Items)
		progress(p)
		if !page.HasMore {
			return p, nil
		}
		calls.After = page.Next
	}
}

// resumePoint is the source cursor of the newest call dst holds, or nil to
// start from the first call (dst holds none of src's).
func resumePoint(ctx context.Context, src, dst *Store) (*qp.Cursor, error) {
	var newest string
	err := dst.read.QueryRowContext(ctx, `SELECT request_id FROM requests ORDER BY id DESC LIMIT 1`).Scan(&newest)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("copy: find where to resume: %w", err)
	}
	rec, err := src.Request(ctx, newest)
	if errors.Is(err, qp.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("copy: find where to resume: %w", err)
	}
	return &qp.Cursor{Value: rec.Timestamp.UnixMilli(), ID: rec.ID}, nil
}

// asExchange turns a stored call back into what the recorder writes. A
// request without a response (never written so) has nothing to copy.
func asExchange(r *qp.RequestRecord) (qp.Exchange, bool) {
	rs := r.Response
	if rs == nil {
		return qp.Exchange{}, false
	}
	ex := qp.Exchange{
		Request: qp.Request{RequestID: r.RequestID, SessionID: r.SessionID, Timestamp: r.Timestamp, Method: r.Method, Path: r.Path,
			Model: r.Model, Stream: r.Stream, ClientIP: r.ClientIP, UserAgent: r.UserAgent, APIKeyID: r.APIKeyID, Account: r.Account,
			IgnoredParams: r.IgnoredParams, OpenAIRequest: r.OpenAIRequest, QwenRequest: r.QwenRequest},
		Response: qp.Response{ResponseID: rs.ResponseID, Timestamp: rs.Timestamp, Status: rs.Status, HTTPStatus: rs.HTTPStatus,
			FinishReason: rs.FinishReason, ChatID: rs.ChatID, ParentID: rs.ParentID, PromptTokens: rs.PromptTokens,
			CompletionTokens: rs.CompletionTokens, TotalTokens: rs.TotalTokens, Duration: time.Duration(rs.DurationMillis * float64(time.Millisecond)),
			UpstreamAttempts: rs.UpstreamAttempts, NewChatAttempts: rs.NewChatAttempts, ErrorType: rs.ErrorType, ErrorMessage: rs.Error,
			OpenAIResponse: rs.OpenAIResponse, QwenResponse: rs.QwenResponse},
	}
	if rs.TTFTMillis != nil {
		ex.Response.FirstTokenAt = r.Timestamp.Add(time.Duration(math.Round(*rs.TTFTMillis*1000)) * time.Microsecond)
	}
	if rs.UpstreamErrors != "" {
		ex.Response.UpstreamErrors = strings.Split(rs.UpstreamErrors, "; ")
	}
	return ex, true
}

// copyKeys copies API keys (as hashes), the stored Qwen accounts (their
// passwords still sealed: the same QWENPROXY_SECRET_KEY opens them) and the
// stored Qwen credentials, keeping what dst already has.
func copyKeys(ctx context.Context, src, dst *Store) error {
	accounts, err := src.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("copy accounts: %w", err)
	}
	for _, a := range accounts {
		if _, err := dst.write.ExecContext(ctx, `INSERT INTO qwen_accounts (id, source, password_sealed, created_at, updated_at)
			VALUES (?, ?, NULLIF(?, ''), ?, ?) ON CONFLICT DO NOTHING`, a.ID, a.Source, a.PasswordSealed, a.CreatedAt.UnixMilli(), a.UpdatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("copy account %s: %w", a.ID, err)
		}
	}
	keys, err := src.APIKeys(ctx)
	if err != nil {
		return fmt.Errorf("copy api keys: %w", err)
	}
	for _, k := range keys {
		if _, err := dst.write.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, admin, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, k.ID, k.Name, k.Hash, k.Admin, k.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("copy api key %s: %w", k.ID, err)
		}
	}
	creds, err := src.QwenCredentials(ctx)
	if errors.Is(err, qp.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy credentials: %w", err)
	}
	if _, err := dst.QwenCredentials(ctx); !errors.Is(err, qp.ErrNotFound) {
		return err // dst has its own (or cannot say): keep them
	}
	return dst.SetQwenCredentials(ctx, *creds)
}
