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
	Sessions int // sessions written so far that dst did not have
	// SessionsThere is the sessions dst had already (an earlier copy's):
	// written again, unchanged.
	SessionsThere int
	Calls         int // calls read from the source so far, resumed ones included
	TotalCalls    int // calls in the source when the copy started
	Resumed       int // calls skipped because an earlier copy had written them
}

// copyPage is how many calls one read and one write transaction hold.
const copyPage = 500

// Copy copies everything a proxy records from src into dst: API keys, the
// stored Qwen credentials (when dst has none), sessions, every call with
// its response and bodies, in the order they were made, then the response
// objects their owners deleted and the Conversations API's conversations. Writes are
// idempotent and go in pages, each committed whole, so a copy that stopped
// (^C, a lost connection) resumes: run again, it starts after the newest call
// dst already holds from src. Numeric row ids are renumbered by dst; request
// and response UUIDs, times and everything else are kept. dst gives none of
// src's ids again (on SQLite its floors are raised first past the highest
// ids src has given, a PostgreSQL src's highest held): a link to a call of
// src (/v1/requests/1 of a saved file) never opens another call.
func Copy(ctx context.Context, src, dst *Store, progress func(CopyProgress)) (CopyProgress, error) {
	var p CopyProgress
	if _, err := copyKeys(ctx, src, dst); err != nil {
		return p, err
	}
	if err := raiseFloorsPast(ctx, src, dst); err != nil {
		return p, fmt.Errorf("copy: %w", err)
	}
	if err := src.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&p.TotalCalls); err != nil {
		return p, fmt.Errorf("copy: count calls: %w", err)
	}
	// Sessions first: a call is stored with its session only if the session
	// is there. Rewriting one that is already there changes nothing.
	o := qp.ListOptions{Limit: copyPage, Sort: "created_at", Asc: true, NoTotal: true}
	var listed time.Time // the newest session this pass wrote
	for {
		page, err := src.ListSessions(ctx, qp.SessionFilter{}, o)
		if err != nil {
			return p, fmt.Errorf("copy sessions: %w", err)
		}
		batch := make([]qp.Session, len(page.Items))
		fresh := make(map[string]bool, len(batch)) // those dst has not
		for i := range page.Items {
			batch[i] = page.Items[i].Session
			fresh[batch[i].ID] = true
			if batch[i].CreatedAt.After(listed) {
				listed = batch[i].CreatedAt
			}
		}
		if err := dropStored(ctx, dst.read, fresh, selectSessionIDs); err != nil {
			return p, fmt.Errorf("copy sessions: %w", err)
		}
		if err := dst.WriteBatch(ctx, qp.Batch{Sessions: batch}); err != nil {
			return p, fmt.Errorf("copy sessions: %w", err)
		}
		p.Sessions += len(fresh)
		p.SessionsThere += len(batch) - len(fresh)
		progress(p)
		if !page.HasMore {
			break
		}
		o.After = page.Next
	}
	// Calls in the order src recorded them (its row ids), not the order they
	// began: a call still running when a copy passed is recorded after the
	// calls that began later, and a cursor on start times left it behind.
	calls := qp.ListOptions{Limit: copyPage, Sort: "id", Asc: true, Bodies: true, NoTotal: true}
	resume, err := resumePoint(ctx, src, dst)
	if err != nil {
		return p, err
	}
	if resume > 0 {
		// A page back: on PostgreSQL, instances committing concurrently
		// can make a lower id visible after a higher one. What dst holds of
		// that page is left out of the write.
		from := max(resume-copyPage, 0)
		if err := src.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests WHERE id <= ?`, from).Scan(&p.Resumed); err != nil {
			return p, fmt.Errorf("copy: %w", err)
		}
		p.Calls = p.Resumed
		progress(p)
		if from > 0 {
			calls.After = &qp.Cursor{Value: from, ID: from}
		}
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
		if len(page.Items) > 0 && page.Items[0].ID <= resume {
			held := 0
			if batch, held, err = withoutHeld(ctx, dst, batch); err != nil {
				return p, fmt.Errorf("copy calls: %w", err)
			}
			p.Resumed += held
		}
		n, err := copySessionsOf(ctx, src, dst, batch, listed)
		if err != nil {
			return p, fmt.Errorf("copy calls: %w", err)
		}
		p.Sessions += n
		if err := dst.WriteExchanges(ctx, batch); err != nil {
			return p, fmt.Errorf("copy calls: %w", err)
		}
		p.Calls += len(page.Items)
		progress(p)
		if !page.HasMore {
			return p, copyObjects(ctx, src, dst)
		}
		calls.After = page.Next
	}
}

// resumePoint is src's row id of the newest of src's calls dst holds (the
// last one copied), or 0 to start from the first call (dst holds none of
// src's). dst's newest call is that one after a copy, but not once
// instances serving dst have recorded calls of their own (a catch-up after
// the move to PostgreSQL): then src is read from its newest call back, a
// page at a time, to the newest that dst holds.
func resumePoint(ctx context.Context, src, dst *Store) (int64, error) {
	var newest string
	err := dst.read.QueryRowContext(ctx, `SELECT request_id FROM requests ORDER BY id DESC LIMIT 1`).Scan(&newest)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return 0, fmt.Errorf("copy: find where to resume: %w", err)
	}
	var id int64
	err = src.read.QueryRowContext(ctx, `SELECT id FROM requests WHERE request_id = ?`, newest).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("copy: find where to resume: %w", err)
	}
	for before := int64(math.MaxInt64); ; {
		ids, requestIDs, err := src.callIDsBefore(ctx, before, copyPage)
		if err != nil || len(ids) == 0 {
			return 0, err
		}
		fresh := make(map[string]bool, len(requestIDs)) // those dst has not
		for _, r := range requestIDs {
			fresh[r] = true
		}
		if err := dropStored(ctx, dst.read, fresh, selectRequestIDs); err != nil {
			return 0, fmt.Errorf("copy: find where to resume: %w", err)
		}
		for i, r := range requestIDs {
			if !fresh[r] {
				return ids[i], nil
			}
		}
		before = ids[len(ids)-1]
	}
}

// callIDsBefore returns the row ids and request ids of at most n calls
// recorded before the row id before, newest first.
func (s *Store) callIDsBefore(ctx context.Context, before int64, n int) ([]int64, []string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, request_id FROM requests WHERE id < ? ORDER BY id DESC LIMIT ?`, before, n)
	if err != nil {
		return nil, nil, fmt.Errorf("copy: find where to resume: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var requestIDs []string
	for rows.Next() {
		var id int64
		var r string
		if err := rows.Scan(&id, &r); err != nil {
			return nil, nil, fmt.Errorf("copy: find where to resume: %w", err)
		}
		ids, requestIDs = append(ids, id), append(requestIDs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("copy: find where to resume: %w", err)
	}
	return ids, requestIDs, nil
}

// copySessionsOf copies the sessions of batch's calls that dst has not and
// src has, and says how many of them are new to the copy: begun after
// listed, the newest the sessions' pass wrote. Of a source in use, a
// conversation begun after the sessions were copied has its calls read
// later: written without it, they lost their session for good (a later copy
// skips calls dst holds). One the pass wrote and dst has not any more
// (retention on dst's instances deleted it meanwhile, empty until its calls
// came) is written again, not counted again.
func copySessionsOf(ctx context.Context, src, dst *Store, batch []qp.Exchange, listed time.Time) (int, error) {
	missing := map[string]bool{}
	for i := range batch {
		if id := batch[i].Request.SessionID; id != "" {
			missing[id] = true
		}
	}
	if err := dropStored(ctx, dst.read, missing, selectSessionIDs); err != nil {
		return 0, fmt.Errorf("find sessions to copy: %w", err)
	}
	var sessions []qp.Session
	for id := range missing {
		sess, err := src.Session(ctx, id)
		if errors.Is(err, qp.ErrNotFound) {
			continue // deleted, or never stored: the call is copied without it, as src has it
		}
		if err != nil {
			return 0, err
		}
		sessions = append(sessions, *sess)
	}
	if len(sessions) == 0 {
		return 0, nil
	}
	fresh := 0
	for i := range sessions {
		if sessions[i].CreatedAt.After(listed) {
			fresh++
		}
	}
	return fresh, dst.WriteBatch(ctx, qp.Batch{Sessions: sessions})
}

// withoutHeld leaves out of batch the calls dst holds already, and says how
// many it left out.
func withoutHeld(ctx context.Context, dst *Store, batch []qp.Exchange) ([]qp.Exchange, int, error) {
	fresh := map[string]bool{} // those dst has not
	for i := range batch {
		fresh[batch[i].Request.RequestID] = true
	}
	if err := dropStored(ctx, dst.read, fresh, selectRequestIDs); err != nil {
		return nil, 0, fmt.Errorf("find the calls already copied: %w", err)
	}
	kept := batch[:0]
	for _, ex := range batch {
		if fresh[ex.Request.RequestID] {
			kept = append(kept, ex)
		}
	}
	return kept, len(batch) - len(kept), nil
}

var selectRequestIDs = byRows(func(n int) string {
	return `SELECT request_id FROM requests WHERE request_id IN (` + values(`?`, n) + `)`
})

// asExchange turns a stored call back into what the recorder writes. A
// request without a response (never written so) has nothing to copy.
func asExchange(r *qp.RequestRecord) (qp.Exchange, bool) {
	rs := r.Response
	if rs == nil {
		return qp.Exchange{}, false
	}
	ex := qp.Exchange{
		Request: qp.Request{RequestID: r.RequestID, SessionID: r.SessionID, Timestamp: r.Timestamp, Method: r.Method, Path: r.Path,
			Model: r.Model, Stream: r.Stream, ClientIP: r.ClientIP, UserAgent: r.UserAgent, ClientSessionID: r.ClientSessionID, APIKeyID: r.APIKeyID, Account: r.Account,
			IgnoredParams: r.IgnoredParams, OpenAIRequest: r.OpenAIRequest, QwenRequest: r.QwenRequest, Replaces: r.Replaces},
		Response: qp.Response{ResponseID: rs.ResponseID, Timestamp: rs.Timestamp, Status: rs.Status, HTTPStatus: rs.HTTPStatus,
			FinishReason: rs.FinishReason, ChatID: rs.ChatID, ParentID: rs.ParentID, PromptTokens: rs.PromptTokens,
			CompletionTokens: rs.CompletionTokens, TotalTokens: rs.TotalTokens,
			// Stored in whole microseconds: rounded back (truncated, a
			// float's error took 1 µs off some).
			Duration: time.Duration(math.Round(rs.DurationMillis*1000)) * time.Microsecond, Model: rs.Model,
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

// CopiedSettings counts what copyKeys wrote that dst did not have.
type CopiedSettings struct {
	Keys, Accounts int
	Credentials    bool // src's stored Qwen credentials (dst had none)
}

// copyKeys copies API keys (as hashes), the stored Qwen accounts (their
// passwords still sealed: the same QWENPROXY_SECRET_KEY opens them; their
// state at each upstream, calls and failures by class, not their tokens) and the
// stored Qwen credentials, keeping what dst already has, and counts what it
// wrote.
func copyKeys(ctx context.Context, src, dst *Store) (CopiedSettings, error) {
	var c CopiedSettings
	if err := dst.checkGuard(); err != nil {
		return c, err
	}
	keys, err := src.APIKeys(ctx)
	if err != nil {
		return c, fmt.Errorf("copy api keys: %w", err)
	}
	// A limit beyond what the column holds (stored on SQLite by a version
	// that did not bound it) is refused before anything is copied, saying
	// how to mend the source; not clamped, which would change the key.
	for _, k := range keys {
		if err := checkKeyLimit(k.MaxConcurrent); err != nil {
			return c, fmt.Errorf("copy api key %s: its %w; set one the destination can hold on the source (`qwenproxy keys limit %s --max-concurrent N`, 0: no limit), then copy again",
				k.ID, err, k.ID)
		}
	}
	accounts, err := src.Accounts(ctx, "")
	if err != nil {
		return c, fmt.Errorf("copy accounts: %w", err)
	}
	states, err := src.accountStates(ctx)
	if err != nil {
		return c, fmt.Errorf("copy accounts: %w", err)
	}
	for _, a := range accounts {
		// With its state at every upstream and its totals: a refused
		// password stays refused (not tried again by the servers on dst),
		// a rate limit keeps its rest, and accounts ls goes on counting
		// from what it showed.
		res, err := dst.write.ExecContext(ctx, `INSERT INTO qwen_accounts (id, source, password_sealed, calls, created_at, updated_at, seen_at)
			VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?) ON CONFLICT DO NOTHING`, a.ID, a.Source, a.PasswordSealed, a.Calls,
			a.CreatedAt.UnixMilli(), a.UpdatedAt.UnixMilli(), unixMs(a.SeenAt))
		if err != nil {
			return c, fmt.Errorf("copy account %s: %w", a.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return c, fmt.Errorf("copy account %s: %w", a.ID, err)
		} else if n == 0 {
			continue // dst has it already: its counts are its own, not added to twice
		}
		c.Accounts++
		for _, st := range states[a.ID] {
			if _, err := dst.write.ExecContext(ctx, `INSERT INTO qwen_account_states (account, upstream, state, failure_class,
				cooldown_until, failed_credential, state_at, forbidden_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				a.ID, st.upstream, st.State, st.FailureClass, unixMs(st.CooldownUntil), st.FailedCredential, unixMs(st.StateAt), st.ForbiddenRun); err != nil {
				return c, fmt.Errorf("copy account %s state at %s: %w", a.ID, st.upstream, err)
			}
		}
		for class, n := range a.Failures {
			if _, err := dst.write.ExecContext(ctx, `INSERT INTO qwen_account_failures (account, class, count) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, a.ID, class, n); err != nil {
				return c, fmt.Errorf("copy account %s failures: %w", a.ID, err)
			}
		}
	}
	for _, k := range keys {
		res, err := dst.write.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, admin, created_at, max_concurrent) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, k.ID, k.Name, k.Hash, k.Admin, k.CreatedAt.UnixMilli(), k.MaxConcurrent)
		if err != nil {
			return c, fmt.Errorf("copy api key %s: %w", k.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return c, fmt.Errorf("copy api key %s: %w", k.ID, err)
		}
		c.Keys += int(n)
	}
	creds, err := src.QwenCredentials(ctx)
	if errors.Is(err, qp.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("copy credentials: %w", err)
	}
	if _, err := dst.QwenCredentials(ctx); !errors.Is(err, qp.ErrNotFound) {
		return c, err // dst has its own (or cannot say): keep them
	}
	// They replace nothing there: a journal a server holds, not emptied
	// after them (ErrNotErased), keeps no secret of dst's.
	if err := dst.SetQwenCredentials(ctx, *creds); err != nil && !errors.Is(err, ErrNotErased) {
		return c, err
	}
	c.Credentials = true
	return c, nil
}
