package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	qp "qwenproxy"
)

// Sort whitelists: API names to columns. Each sort column has an index
// (responses.total_tokens holds no NULL since migration 0015, so the column
// itself, not an expression over it, is sorted and compared by cursors).
var (
	sessionSorts  = map[string]string{"": "created_at", "created_at": "created_at", "last_accessed": "last_accessed", "message_count": "message_count"}
	requestSorts  = map[string]string{"": "q.timestamp", "timestamp": "q.timestamp", "id": "q.id"}
	responseSorts = map[string]string{"": "r.timestamp", "timestamp": "r.timestamp", "duration_ms": "r.duration_us", "total_tokens": "r.total_tokens"}
)

// SortFields lists the sort names each list accepts, for validation.
func SortFields() (sessions, requests, responses []string) {
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			if k != "" {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	return keys(sessionSorts), keys(requestSorts), keys(responseSorts)
}

func sortColumn(m map[string]string, name string) (string, error) {
	col, ok := m[name]
	if !ok {
		return "", fmt.Errorf("unknown sort field %q", name)
	}
	return col, nil
}

// likeEscaper makes a search text match itself only, in LIKE … ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LowerContains is the condition that column contains search, letters
// compared after lower(), and its one argument: what Dialect.SessionSearch
// tests where lower() folds every letter (PostgreSQL's), and for searches of
// ASCII letters alone.
func LowerContains(column, search string) (cond string, arg any) {
	return `lower(` + column + `) LIKE lower(?) ESCAPE '\'`, "%" + likeEscaper.Replace(search) + "%"
}

// ListSessions pages sessions.
func (s *Store) ListSessions(ctx context.Context, f qp.SessionFilter, o qp.ListOptions) (*qp.ListResult[qp.SessionRecord], error) {
	q, err := sessionList(ctx, s.read, s.Backend(), s.dialect.SessionSearch, f, o)
	if err != nil {
		return nil, err
	}
	return run(ctx, s.read, q, o, func(rows *sql.Rows) (qp.SessionRecord, qp.Cursor, error) {
		var rec qp.SessionRecord
		var cur qp.Cursor
		sess, err := scanSession(rows, &rec.RequestCount, &cur.Value, &cur.ID)
		if err != nil {
			return rec, cur, err
		}
		rec.Session = *sess
		return rec, cur, nil
	})
}

// sessionList is the query of a page of sessions on db, its search
// condition written by search (the dialect's). Sorted by last
// access or message count under a model that a twentieth of the sessions or
// more have, SQLite walks the sort's index and keeps the model's: it read
// the model's index and sorted its sessions, the busiest model's 18,000 of
// 64,000 in 36-39 ms a page, where the walk passes some 20 sessions for
// each one it keeps. A model of fewer keeps its index (the walk would pass
// most of the table), as does a search (which may match none of the model's
// sessions); by creation time the model's index is in order.
func sessionList(ctx context.Context, db querier, backend string, search func(context.Context, RowQuerier, string) (string, []any, error),
	f qp.SessionFilter, o qp.ListOptions) (listQuery, error) {
	col, err := sortColumn(sessionSorts, o.Sort)
	if err != nil {
		return listQuery{}, err
	}
	q := listQuery{selectFrom: `SELECT ` + sessionColumns + `, 0, ` + col + `, rowid FROM sessions`,
		countFrom: `SELECT COUNT(*) FROM sessions`, sortCol: col, idCol: "rowid"}
	walk := false
	if f.Model != "" {
		if backend == "sqlite" && col != sessionSorts[""] && f.Search == "" && f.Range.Start.IsZero() && f.Range.End.IsZero() {
			if walk, err = manySessionsOf(ctx, db, f.Model); err != nil {
				return q, err
			}
		}
		cond := "model = ?"
		if walk {
			cond = "+model = ?" // not looked up by index
		}
		q.where.add(cond, f.Model)
	}
	if f.Account != "" {
		q.where.add("account = ?", f.Account)
	}
	if f.APIKeyID != "" {
		q.where.add("api_key_id = ?", f.APIKeyID)
	}
	if f.Search != "" {
		cond, args, err := search(ctx, db, f.Search)
		if err != nil {
			return q, err
		}
		q.where.add(cond, args...)
	}
	q.where.addRange("created_at", f.Range)
	if walk {
		// The total still counts the model's sessions by its index.
		w := where{conds: slices.Clone(q.where.conds), args: q.where.args}
		w.conds[0] = "model = ?"
		q.fastCount, q.fastArgs = q.countFrom+w.sql(), w.args
	}
	return q, nil
}

// manySessionsOf reports whether a twentieth of the sessions or more have
// model, counting at most that many of its index's entries. The sessions'
// largest rowid stands for their number (deletes leave it higher: then a
// model needs more sessions to be walked to, which only costs a sort).
func manySessionsOf(ctx context.Context, db querier, model string) (bool, error) {
	var top int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(rowid), 0) FROM sessions`).Scan(&top); err != nil {
		return false, fmt.Errorf("list sessions: count the model's: %w", err)
	}
	need := top / 20
	if need < 1 {
		return false, nil
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE model = ? LIMIT ?) AS matched`, model, need).Scan(&n); err != nil {
		return false, fmt.Errorf("list sessions: count the model's: %w", err)
	}
	return n >= need, nil
}

// SessionRecord returns one session with its number of calls.
func (s *Store) SessionRecord(ctx context.Context, id string) (*qp.SessionRecord, error) {
	var rec qp.SessionRecord
	sess, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+`,
		(SELECT COUNT(*) FROM requests WHERE session_id = sessions.id) FROM sessions WHERE id = ?`, id), &rec.RequestCount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", id, err)
	}
	rec.Session = *sess
	return &rec, nil
}

// DeleteSession deletes a session and, by cascade, its calls, and the
// Conversations API conversation it is, if any. Its branches take the
// session it branched off from (reparentBranches).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	// A deleted or replaced SQLite file: the delete would change only the
	// file no one opens again, and the session would come back with it.
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	defer tx.Rollback()
	buckets, err := bucketsWhere(ctx, tx, "WHERE session_id = ?", id)
	if err != nil {
		return err
	}
	// Remembered first: a server still holding the session in memory must
	// not write it back.
	if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_sessions (id, chat_id, deleted_at)
		SELECT id, chat_id, ? FROM sessions WHERE id = ? ON CONFLICT DO NOTHING`, time.Now().UnixMilli(), id); err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	parts, err := s.releaseParts(ctx, tx, "q.session_id = ?", id)
	if err != nil {
		return err
	}
	if err := subtractCounts(ctx, tx, "q.session_id = ?", id); err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	if err := reparentBranches(ctx, tx, `p.id = ?`, id); err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	if err := mustAffect(res, "delete session", id); err != nil {
		return err
	}
	// A Conversations API conversation is its session (named by its id):
	// without its calls it would list none of its responses, and its next
	// response would go on in a new chat told nothing of them. It goes too.
	if _, err := deleteConversationRows(ctx, tx, id); err != nil {
		return fmt.Errorf("delete session %s: its conversation: %w", id, err)
	}
	if err := rebuildRollups(ctx, tx, buckets); err != nil {
		return err
	}
	if err := s.deleteParts(ctx, tx, parts); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	return nil
}

const responseColumns = `r.id, r.request_id, q.request_id, COALESCE(r.session_id, ''), r.response_id, r.timestamp, r.model, r.stream,
	r.status, r.http_status, COALESCE(r.finish_reason, ''), COALESCE(r.chat_id, ''), COALESCE(r.parent_id, ''),
	COALESCE(r.prompt_tokens, 0), COALESCE(r.completion_tokens, 0), COALESCE(r.total_tokens, 0), r.ttft_ms, r.duration_us,
	r.upstream_attempts, r.new_chat_attempts, COALESCE(r.upstream_errors, ''), COALESCE(r.error_type, ''), COALESCE(r.error, ''), COALESCE(r.account, ''), COALESCE(q.model, ''),
	COALESCE(q.api_key_id, '')`

func scanResponse(row interface{ Scan(...any) error }, extra ...any) (*qp.ResponseRecord, error) {
	var r qp.ResponseRecord
	var ts int64
	var ttft sql.NullFloat64
	var us int64
	dest := []any{&r.ID, &r.RequestID, &r.RequestUUID, &r.SessionID, &r.ResponseID, &ts, &r.Model, &r.Stream, &r.Status, &r.HTTPStatus,
		&r.FinishReason, &r.ChatID, &r.ParentID, &r.PromptTokens, &r.CompletionTokens, &r.TotalTokens, &ttft, &us,
		&r.UpstreamAttempts, &r.NewChatAttempts, &r.UpstreamErrors, &r.ErrorType, &r.Error, &r.Account, &r.RequestModel, &r.APIKeyID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	r.Timestamp = time.UnixMilli(ts)
	r.DurationMillis = float64(us) / 1000
	if ttft.Valid {
		v := ttft.Float64
		r.TTFTMillis = &v
	}
	return &r, nil
}

// callFilter adds f's conditions on the list whose table prefix names
// ("q." requests, "r." responses; a leading "+" keeps SQLite off their
// indexes), in the order filterColumns splits them.
func callFilter(w *where, f qp.CallFilter, prefix, timeCol string) {
	if f.SessionID != "" {
		w.add(prefix+"session_id = ?", f.SessionID)
	}
	if f.ClientSessionID != "" {
		w.add(clientSession(prefix), f.ClientSessionID)
	}
	if f.Model != "" {
		w.add(prefix+"model = ?", f.Model)
	}
	if f.ResponseModel != "" {
		w.add(answeredBy(prefix), f.ResponseModel)
	}
	if f.Stream != nil {
		w.add(prefix+"stream = ?", *f.Stream)
	}
	if f.Status != "" {
		w.add(prefix+"status = ?", f.Status)
	}
	if f.FinishReason != "" {
		w.add(prefix+"finish_reason = ?", f.FinishReason)
	}
	if f.Account != "" {
		w.add(prefix+"account = ?", f.Account)
	}
	if f.APIKeyID != "" {
		w.add(prefix+"api_key_id = ?", f.APIKeyID)
	}
	if f.ErrorType != "" {
		w.add(endedWith(prefix), f.ErrorType)
	}
	w.addRange(timeCol, f.Range)
}

// endedWith is the condition that a row of the list prefix names ended with
// an error type (one argument). A response holds it, and its request too
// (migration 0039: written with the response), each in a partial index of
// the failed calls alone (idx_responses_error_type, idx_requests_error_type)
// by the row's own time, so that a list's page and its total over any range
// are a range of one index. The request's was read from the responses'
// index before, each request tested against the failed calls' ids: a range
// of a day's requests was counted one by one (10-33 ms at a million calls).
func endedWith(prefix string) string {
	return prefix + "error_type = ?"
}

// clientSession is the condition that a row of the list prefix names was
// recorded with a client's conversation id (one argument). The request
// holds it (migration 0049, indexed by the calls that have one); a response
// is looked up among those requests by its request's id, so either list is
// read from that index.
func clientSession(prefix string) string {
	if strings.TrimPrefix(prefix, "+") == "r." {
		return inClientSession(prefix)
	}
	return prefix + "client_session_id = ?"
}

// inClientSession is the condition that a response (its columns named with
// prefix: "" for the table's own) answered a call recorded with a client's
// conversation id (one argument), looked up among the requests of that
// index by its request's id: the response list's, and the statistics'.
func inClientSession(prefix string) string {
	return prefix + "request_id IN (SELECT id FROM requests WHERE client_session_id = ?)"
}

// answeredBy is the condition that a row of the list prefix names was
// answered by a model (one argument). A response holds the model that
// answered; a request is looked up in responses by its unique request_id,
// so that the count and the page, which read the requests alone (see
// pageFrom), need no join, and the requests' own order and indexes serve
// (see planAnsweredBy for a model of few calls). A request with no
// response was answered by none.
func answeredBy(prefix string) string {
	if strings.TrimPrefix(prefix, "+") == "r." {
		return prefix + "model = ?"
	}
	return "EXISTS (SELECT 1 FROM responses a WHERE a.request_id = " + strings.TrimPrefix(prefix, "+") + "id AND a.model = ?)"
}

// answeredBySet is answeredBy for requests, as the set of the ids the
// model answered, read from the responses' model index.
const answeredBySet = "q.id IN (SELECT request_id FROM responses WHERE model = ?)"

const requestColumns = `q.id, q.request_id, COALESCE(q.session_id, ''), q.timestamp, q.method, q.path, q.model, q.stream, q.client_ip,
	q.user_agent, COALESCE(q.api_key_id, ''), COALESCE(q.ignored_params, ''), COALESCE(q.account, ''), COALESCE(q.replaces, ''),
	COALESCE(q.client_session_id, '')`

func scanRequest(row interface{ Scan(...any) error }, extra ...any) (*qp.RequestRecord, error) {
	var r qp.RequestRecord
	var ts int64
	var ignored string
	dest := []any{&r.ID, &r.RequestID, &r.SessionID, &ts, &r.Method, &r.Path, &r.Model, &r.Stream, &r.ClientIP, &r.UserAgent, &r.APIKeyID, &ignored, &r.Account, &r.Replaces, &r.ClientSessionID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	if ignored != "" {
		r.IgnoredParams = strings.Split(ignored, ",")
	}
	r.Timestamp = time.UnixMilli(ts)
	return &r, nil
}

// requestList is the query of a page of requests, its filter's columns
// named with filterPrefix.
func requestList(f qp.CallFilter, o qp.ListOptions, filterPrefix string) (listQuery, error) {
	col, err := sortColumn(requestSorts, o.Sort)
	if err != nil {
		return listQuery{}, err
	}
	from := ` FROM requests q LEFT JOIN responses r ON r.request_id = q.id`
	bodies := ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
	if o.Bodies {
		from += ` LEFT JOIN request_bodies qb ON qb.request_id = q.id LEFT JOIN response_bodies rb ON rb.response_id = r.id`
		bodies = `, qb.openai_request, qb.openai_request_z, qb.qwen_request, qb.qwen_request_z,
			rb.openai_response, rb.openai_response_z, rb.qwen_response, rb.qwen_response_z`
	}
	q := listQuery{selectFrom: `SELECT ` + requestColumns + bodies + `, r.id IS NOT NULL, ` + optionalResponseColumns + `, ` + col + from,
		countFrom: `SELECT COUNT(*) FROM requests q`, sortCol: col, idCol: "q.id"}
	q.fastCount, q.fastArgs = countQuery(requestCounts, f)
	if q.fastCount == "" {
		q.fastCount, q.fastArgs = requestRangeCount(f)
	}
	if q.fastCount == "" {
		q.fastCount, q.fastArgs = requestKeyCount(f)
	}
	callFilter(&q.where, f, filterPrefix, filterPrefix+"timestamp")
	return q, nil
}

// requestPage is the query of a page of requests on db. Sorted by id (the
// order calls were recorded) under a filter many requests match, SQLite
// walks the table in id order (see planFilter): it sorted the filter's
// rows, 3.2-3.4 s a page for the busiest model of a million calls.
func requestPage(ctx context.Context, db querier, backend string, f qp.CallFilter, o qp.ListOptions) (listQuery, error) {
	q, err := requestList(f, o, "q.")
	if err != nil {
		return q, err
	}
	if backend == "sqlite" {
		q.pageFrom = "requests q"
		if err := planAnsweredBy(ctx, db, &q, f, o); err != nil {
			return q, err
		}
		planEndedWith(&q, f)
	}
	return q, planFilter(ctx, db, backend, requestCounts, &q, requestSorts[""], f, o)
}

// planAnsweredBy chooses, on SQLite, how the request list under the model
// that answered (and no other indexed filter: a session, a model asked for,
// an API key) finds its rows. Walking the requests in the page's order, each looked up
// in responses, passes about need × total ÷ n requests for a page of need
// of the n calls the filter matches: for a model of few calls (400 of
// 200,000), most of the table. Where that is more than n, the ids the model
// answered are read from its index instead (answeredBySet) and their
// requests sorted (3-7 ms a page for those 400). Not for every model: the
// busiest's set, 100,000 ids of 200,000 calls, took 50-110 ms a page to
// read where the walk took 1-2 ms.
func planAnsweredBy(ctx context.Context, db querier, q *listQuery, f qp.CallFilter, o qp.ListOptions) error {
	if f.ResponseModel == "" || f.SessionID != "" || f.ClientSessionID != "" || f.Model != "" || f.APIKeyID != "" {
		return nil
	}
	counted := f
	counted.Range = qp.TimeRange{}
	n, err := countCalls(ctx, db, requestCounts, counted)
	if err != nil {
		return err
	}
	total, err := countCalls(ctx, db, requestCounts, qp.CallFilter{})
	if err != nil {
		return err
	}
	need := int64(o.Offset + o.Limit + 1)
	if n > 0 && need*total/n <= n {
		return nil
	}
	walk := answeredBy("q.")
	for i, c := range q.where.conds {
		if c == walk {
			q.where.conds[i] = answeredBySet
		}
	}
	return nil
}

// ListRequests pages recorded calls by request, each with its response
// (bodies of both with o.Bodies).
func (s *Store) ListRequests(ctx context.Context, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error) {
	return s.listRequests(ctx, f, o, requestPage)
}

// pagePlanner builds the query of a page of a list on db (requestPage,
// responsePage).
type pagePlanner func(ctx context.Context, db querier, backend string, f qp.CallFilter, o qp.ListOptions) (listQuery, error)

// listRequests is ListRequests with its query built by page (the tests
// compare the lists of other plans with its own).
func (s *Store) listRequests(ctx context.Context, f qp.CallFilter, o qp.ListOptions, page pagePlanner) (*qp.ListResult[qp.RequestRecord], error) {
	db, done, err := s.listReader(ctx, o.Bodies)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	defer done()
	q, err := page(ctx, db, s.Backend(), f, o)
	if err != nil {
		return nil, err
	}
	stored := map[int64]*[4]storedBody{} // by request row id
	res, err := run(ctx, db, q, o, func(rows *sql.Rows) (qp.RequestRecord, qp.Cursor, error) {
		var b [4]storedBody
		var hasResp bool
		var resp optionalResponse
		var cur qp.Cursor
		dest := append(append(append(append(b[0].dest(), b[1].dest()...), b[2].dest()...), b[3].dest()...), &hasResp)
		rec, err := scanRequest(rows, append(dest, append(resp.dest(), &cur.Value)...)...)
		if err != nil {
			return qp.RequestRecord{}, cur, err
		}
		cur.ID = rec.ID
		if hasResp {
			rec.Response = resp.record(rec)
		}
		if o.Bodies {
			stored[rec.ID] = &b
		}
		return *rec, cur, nil
	})
	if err != nil || !o.Bodies {
		return res, err
	}
	var reads []bodyRead
	for i := range res.Items {
		rec, b := &res.Items[i], stored[res.Items[i].ID]
		reads = append(reads, pairReads(&b[0], &b[1], &rec.OpenAIRequest, &rec.QwenRequest)...)
		if rec.Response != nil {
			reads = append(reads, pairReads(&b[2], &b[3], &rec.Response.OpenAIResponse, &rec.Response.QwenResponse)...)
		}
	}
	if err := s.readBodies(ctx, db, reads); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return res, nil
}

// optionalResponseColumns read a LEFT JOINed response (zero values when absent).
const optionalResponseColumns = `COALESCE(r.id, 0), COALESCE(r.response_id, ''), COALESCE(r.timestamp, 0), COALESCE(r.status, ''),
	COALESCE(r.http_status, 0), COALESCE(r.finish_reason, ''), COALESCE(r.chat_id, ''), COALESCE(r.parent_id, ''),
	COALESCE(r.prompt_tokens, 0), COALESCE(r.completion_tokens, 0), COALESCE(r.total_tokens, 0), r.ttft_ms, COALESCE(r.duration_us, 0),
	COALESCE(r.upstream_attempts, 0), COALESCE(r.new_chat_attempts, 0), COALESCE(r.upstream_errors, ''), COALESCE(r.error_type, ''), COALESCE(r.error, ''),
	COALESCE(r.model, '')`

type optionalResponse struct {
	r    qp.ResponseRecord
	ts   int64
	us   int64
	ttft sql.NullFloat64
}

func (o *optionalResponse) dest() []any {
	return []any{&o.r.ID, &o.r.ResponseID, &o.ts, &o.r.Status, &o.r.HTTPStatus, &o.r.FinishReason, &o.r.ChatID, &o.r.ParentID,
		&o.r.PromptTokens, &o.r.CompletionTokens, &o.r.TotalTokens, &o.ttft, &o.us, &o.r.UpstreamAttempts,
		&o.r.NewChatAttempts, &o.r.UpstreamErrors, &o.r.ErrorType, &o.r.Error, &o.r.Model}
}

func (o *optionalResponse) record(req *qp.RequestRecord) *qp.ResponseRecord {
	r := o.r // its Model is the Qwen model that answered, which MODEL_MAP may have made another than the request's
	r.RequestID, r.RequestUUID, r.SessionID, r.Stream, r.RequestModel = req.ID, req.RequestID, req.SessionID, req.Stream, req.Model
	r.Account, r.APIKeyID = req.Account, req.APIKeyID
	r.Timestamp = time.UnixMilli(o.ts)
	r.DurationMillis = float64(o.us) / 1000
	if o.ttft.Valid {
		v := o.ttft.Float64
		r.TTFTMillis = &v
	}
	return &r
}

// Request returns one call with its bodies and full response, and for a
// Responses API call the items its references named (ReferencedItems). key
// is the numeric id or the request UUID.
func (s *Store) Request(ctx context.Context, key string) (*qp.RequestRecord, error) {
	cond, arg := "q.request_id = ?", any(key)
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		cond, arg = "q.id = ?", id
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read request %s: %w", key, err)
	}
	defer tx.Rollback()
	var oai, qw storedBody
	rec, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+`, qb.openai_request, qb.openai_request_z,
		qb.qwen_request, qb.qwen_request_z
		FROM requests q LEFT JOIN request_bodies qb ON qb.request_id = q.id WHERE `+cond, arg), append(oai.dest(), qw.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read request %s: %w", key, err)
	}
	if err := s.readBodies(ctx, tx, pairReads(&oai, &qw, &rec.OpenAIRequest, &rec.QwenRequest)); err != nil {
		return nil, fmt.Errorf("read request %s: %w", key, err)
	}
	if indexedPaths[rec.Path] {
		if rec.ReferencedItems, err = s.readReferenced(ctx, tx, rec.ID); err != nil {
			return nil, fmt.Errorf("read request %s: %w", key, err)
		}
	}
	resp, err := s.responseWhere(ctx, tx, "r.request_id = ?", rec.ID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		rec.Response = resp
	}
	return rec, nil
}

// responseList is the query of a page of responses, its filter's columns
// named with filterPrefix.
func responseList(f qp.CallFilter, o qp.ListOptions, filterPrefix string) (listQuery, error) {
	col, err := sortColumn(responseSorts, o.Sort)
	if err != nil {
		return listQuery{}, err
	}
	from := ` FROM responses r JOIN requests q ON q.id = r.request_id`
	bodies := ", NULL, NULL, NULL, NULL"
	if o.Bodies {
		from += ` LEFT JOIN response_bodies rb ON rb.response_id = r.id`
		bodies = ", rb.openai_response, rb.openai_response_z, rb.qwen_response, rb.qwen_response_z"
	}
	q := listQuery{selectFrom: `SELECT ` + responseColumns + bodies + `, ` + col + from, countFrom: `SELECT COUNT(*) FROM responses r`,
		sortCol: col, idCol: "r.id"}
	q.fastCount, q.fastArgs = countQuery(responseCounts, f)
	if q.fastCount == "" {
		q.fastCount, q.fastArgs = responseRangeCount(f)
	}
	callFilter(&q.where, f, filterPrefix, filterPrefix+"timestamp")
	return q, nil
}

// responsePage is the query of a page of responses on db (see planFilter).
func responsePage(ctx context.Context, db querier, backend string, f qp.CallFilter, o qp.ListOptions) (listQuery, error) {
	f = answeringModel(f)
	q, err := responseList(f, o, "r.")
	if err != nil {
		return q, err
	}
	if backend == "sqlite" {
		q.pageFrom = "responses r"
	}
	return q, planFilter(ctx, db, backend, responseCounts, &q, responseSorts[""], f, o)
}

// answeringModel is f for the response list, where model is already the
// model that answered: response_model is model there, so the counts, the
// rollups and the plans that know a model serve it too. Given both, and
// different, they stay two conditions no response meets.
func answeringModel(f qp.CallFilter) qp.CallFilter {
	if f.ResponseModel != "" && (f.Model == "" || f.Model == f.ResponseModel) {
		f.Model, f.ResponseModel = f.ResponseModel, ""
	}
	return f
}

// planFilter chooses, on SQLite, the index a list sorted by other than its
// default (time) order reads, from how many rows its filter matches (summed
// from call_counts, whatever the filter's columns).
//
// SQLite, sorting by duration, tokens or id under a filter, reads a
// filter's index and sorts every row it matches: for one account of six in
// a million calls that was 0.4-1.5 s a page, where walking the sort's index
// and keeping the matching rows reads a few hundred. So where the filter
// matches many rows (denseRows) its columns are written +r.col, which
// SQLite does not look up by index. A filter of few rows keeps an index:
// sorting them is cheap, and walking the sort's index would pass over most
// of the table; of several columns, only the one that matches fewest rows
// keeps its index, as SQLite, which does not know, read the first's (a rare
// model's errors: all the errors, 0.15-0.37 s a page). A session's calls or
// a time range are few rows, or not counted: their index serves. Responses
// sorted by duration or tokens under a filter (or a time range alone) of
// fewer rows may walk the sort's index instead (see planSortWalk).
// PostgreSQL weighs the indexes itself.
func planFilter(ctx context.Context, db querier, backend, list string, q *listQuery, defaultSort string, f qp.CallFilter, o qp.ListOptions) error {
	if backend == "sqlite" && q.sortCol == "q.id" && f.SessionID == "" && f.ClientSessionID == "" && (!f.Range.Start.IsZero() || !f.Range.End.IsZero()) {
		return planRangeByID(ctx, db, q, f.Range)
	}
	if backend == "sqlite" && list == responseCounts && walkedSorts[q.sortCol] != "" && rangeIndexed(f) {
		n, err := rangeRows(ctx, db, q.where)
		if err != nil {
			return err
		}
		if n >= denseRows {
			if q.fastCount == "" { // counted by the filter's index, not the walk's conditions
				q.fastCount, q.fastArgs = q.countFrom+q.where.sql(), slices.Clone(q.where.args)
			}
			for i := range q.where.conds {
				q.where.conds[i] = "+" + q.where.conds[i]
			}
			return nil
		}
		if f == (qp.CallFilter{Range: f.Range}) {
			total, err := countCalls(ctx, db, list, qp.CallFilter{})
			if err != nil {
				return err
			}
			if planSortWalk(q, f, o, n, n, total, f) {
				return nil
			}
		}
		// Fewer rows: read by the filter's index and sorted. SQLite, left
		// to choose, walked the sort's index past every row to find a page
		// of a few.
		q.sortCol = "+" + q.sortCol
		return nil
	}
	if backend != "sqlite" || q.sortCol == defaultSort || f.SessionID != "" || f.ClientSessionID != "" || !f.Range.Start.IsZero() || !f.Range.End.IsZero() ||
		len(q.where.conds) == 0 {
		return nil
	}
	counted := f
	if list == requestCounts && f.Model != "" && f.ResponseModel != "" {
		// At most the model asked for's calls: counting those both match
		// reads their rows (countQuery), 40 ms of 200,000 calls.
		counted.ResponseModel = ""
	}
	n, err := countCalls(ctx, db, list, counted)
	if err != nil {
		return err
	}
	if n >= denseRows {
		for i := range q.where.conds {
			q.where.conds[i] = "+" + q.where.conds[i]
		}
		return nil
	}
	columns := filterColumns(f)
	best, fewest := 0, n
	if len(columns) >= 2 {
		fewest = -1
		for i, c := range columns {
			n, err := countCalls(ctx, db, list, c)
			if err != nil {
				return err
			}
			if fewest < 0 || n < fewest {
				best, fewest = i, n
			}
		}
	}
	if list == responseCounts && walkedSorts[q.sortCol] != "" {
		total, err := countCalls(ctx, db, list, qp.CallFilter{})
		if err != nil {
			return err
		}
		if planSortWalk(q, f, o, n, fewest, total, columns[best]) {
			return nil
		}
	}
	if len(columns) < 2 {
		return nil
	}
	for i := range q.where.conds {
		if i != best {
			q.where.conds[i] = "+" + q.where.conds[i]
		}
	}
	return nil
}

// planRangeByID has requests of a time range that few calls began in, sorted
// by id, read by the range's index and sorted: SQLite walked the table in id
// order to save the sort, from its first row for the oldest first, so the
// last day of a million calls took 0.2-0.7 s a page. Ordered by +q.id, which
// the table's order does not serve, it reads the range (at most denseRows
// entries of its index, counted first). A range of many calls keeps the walk.
func planRangeByID(ctx context.Context, db querier, q *listQuery, r qp.TimeRange) error {
	var w where
	w.addRange("q.timestamp", r)
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM requests q`+w.sql()+` LIMIT ?) AS matched`,
		append(w.args, denseRows)...).Scan(&n); err != nil {
		return fmt.Errorf("list: count the range's rows: %w", err)
	}
	if n < denseRows {
		q.sortCol = "+q.id"
	}
	return nil
}

// filterColumns splits a filter of neither session nor time range into one
// filter a column, in the order callFilter writes their conditions.
func filterColumns(f qp.CallFilter) []qp.CallFilter {
	var out []qp.CallFilter
	if f.Model != "" {
		out = append(out, qp.CallFilter{Model: f.Model})
	}
	if f.ResponseModel != "" {
		out = append(out, qp.CallFilter{ResponseModel: f.ResponseModel})
	}
	if f.Stream != nil {
		out = append(out, qp.CallFilter{Stream: f.Stream})
	}
	if f.Status != "" {
		out = append(out, qp.CallFilter{Status: f.Status})
	}
	if f.FinishReason != "" {
		out = append(out, qp.CallFilter{FinishReason: f.FinishReason})
	}
	if f.Account != "" {
		out = append(out, qp.CallFilter{Account: f.Account})
	}
	if f.APIKeyID != "" {
		out = append(out, qp.CallFilter{APIKeyID: f.APIKeyID})
	}
	if f.ErrorType != "" {
		out = append(out, qp.CallFilter{ErrorType: f.ErrorType})
	}
	return out
}

// denseRows is how many rows a filter matches at least for a sorted list to
// walk the sort's index rather than the filter's: then a page of 50 passes
// over about 50 × total ÷ 20,000 index entries (2,500 at a million calls),
// and below it the filter's rows sort in a few milliseconds.
const denseRows = 20_000

// countCalls is how many calls of list match f, from call_counts; under an
// API key, which call_counts does not keep, the rows f matches counted by
// their index up to denseRows (which is all planFilter asks of a count).
func countCalls(ctx context.Context, db querier, list string, f qp.CallFilter) (int64, error) {
	query, args := countQuery(list, f)
	if query == "" {
		from, prefix := "requests q", "q."
		if list == responseCounts {
			from, prefix = "responses r", "r."
		}
		var w where
		callFilter(&w, f, prefix, prefix+"timestamp")
		query, args = `SELECT COUNT(*) FROM (SELECT 1 FROM `+from+w.sql()+` LIMIT ?) AS matched`, append(w.args, denseRows)
	}
	var n int64
	if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("list: count the filter's rows: %w", err)
	}
	return n, nil
}

// ListResponses pages responses.
func (s *Store) ListResponses(ctx context.Context, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.ResponseRecord], error) {
	db, done, err := s.listReader(ctx, o.Bodies)
	if err != nil {
		return nil, fmt.Errorf("list responses: %w", err)
	}
	defer done()
	q, err := responsePage(ctx, db, s.Backend(), f, o)
	if err != nil {
		return nil, err
	}
	stored := map[int64]*[2]storedBody{} // by response row id
	res, err := run(ctx, db, q, o, func(rows *sql.Rows) (qp.ResponseRecord, qp.Cursor, error) {
		var b [2]storedBody
		var cur qp.Cursor
		rec, err := scanResponse(rows, append(append(b[0].dest(), b[1].dest()...), &cur.Value)...)
		if err != nil {
			return qp.ResponseRecord{}, cur, err
		}
		cur.ID = rec.ID
		if o.Bodies {
			stored[rec.ID] = &b
		}
		return *rec, cur, nil
	})
	if err != nil || !o.Bodies {
		return res, err
	}
	var reads []bodyRead
	for i := range res.Items {
		rec, b := &res.Items[i], stored[res.Items[i].ID]
		reads = append(reads, pairReads(&b[0], &b[1], &rec.OpenAIResponse, &rec.QwenResponse)...)
	}
	if err := s.readBodies(ctx, db, reads); err != nil {
		return nil, fmt.Errorf("list responses: %w", err)
	}
	return res, nil
}

// Response returns one response with its bodies.
func (s *Store) Response(ctx context.Context, key string) (*qp.ResponseRecord, error) {
	cond, arg := "r.response_id = ?", any(key)
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		cond, arg = "r.id = ?", id
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read response %s: %w", key, err)
	}
	defer tx.Rollback()
	return s.responseWhere(ctx, tx, cond, arg)
}

func (s *Store) responseWhere(ctx context.Context, db querier, cond string, arg any) (*qp.ResponseRecord, error) {
	var oai, qw storedBody
	rec, err := scanResponse(db.QueryRowContext(ctx, `SELECT `+responseColumns+`, rb.openai_response, rb.openai_response_z,
		rb.qwen_response, rb.qwen_response_z
		FROM responses r JOIN requests q ON q.id = r.request_id LEFT JOIN response_bodies rb ON rb.response_id = r.id WHERE `+cond, arg),
		append(oai.dest(), qw.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if err := s.readBodies(ctx, db, pairReads(&oai, &qw, &rec.OpenAIResponse, &rec.QwenResponse)); err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return rec, nil
}

// rawJSON returns a stored body as JSON, or nil. A body that is not valid
// JSON (it never should be) is returned as a JSON string rather than
// breaking the document it is embedded in.
func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	if json.Valid([]byte(s.String)) {
		return json.RawMessage(s.String)
	}
	b, _ := json.Marshal(s.String)
	return b
}
