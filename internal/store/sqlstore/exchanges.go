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
//
// An error for what a record holds, not for the database's state, is also
// qp.ErrRecordRefused; a lock another held past DATABASE_BUSY_TIMEOUT is
// qp.ErrDatabaseBusy.
func (s *Store) WriteBatch(ctx context.Context, b qp.Batch) (err error) {
	defer func() {
		if err == nil {
			s.checkpointIfCrowded(ctx)
		}
		switch {
		case err == nil:
		case s.dialect.Refuses(err):
			err = fmt.Errorf("%w: %w", qp.ErrRecordRefused, err)
		case s.dialect.Busy(err):
			err = fmt.Errorf("%w: %w", qp.ErrDatabaseBusy, err)
		}
	}()
	ctx = s.dialect.BatchContext(ctx)
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if err := s.prepareChunks(ctx, len(b.Exchanges)); err != nil {
		return fmt.Errorf("write batch: prepare: %w", err)
	}
	encoded := s.encodeCalls(b.Exchanges)
	items := s.callIndexes(b.Exchanges) // read before the transaction too
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	defer tx.Rollback()
	tx.kept = s.write.keptStmt
	// A newer version migrated the database under this one (a rolling
	// upgrade): calls that still fit its tables would go in without what
	// its migrations keep beside each call (rollups, counts), and its
	// statistics would miss them for good. Refused, the batch waits in the
	// spool until the new version, taking this one's place, replays it.
	if err := s.checkSchemaWith(ctx, tx); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	var kept []int
	if b, kept, err = withoutDeleted(ctx, tx, b); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if kept != nil {
		encoded, items = pick(encoded, kept), pick(items, kept)
	}
	if err := writeSessions(ctx, tx, b.Sessions); err != nil {
		return err
	}
	// The batch's ids are reserved at once, not chunk by chunk: a batch of
	// 15 calls is 4 chunks (8, 4, 2, 1), and each reservation is a
	// statement. Ids a call already stored leaves unused are a gap, as
	// they were within a chunk.
	var ids batchIDs
	if len(b.Exchanges) > 0 {
		if ids.requests, err = s.reserveIDs(ctx, tx, "requests", len(b.Exchanges)); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
		if ids.responses, err = s.reserveIDs(ctx, tx, "responses", len(b.Exchanges)); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
	}
	var written []qp.Exchange
	for rest := b.Exchanges; len(rest) > 0; {
		chunk := rest[:chunkSize(len(rest))]
		rest = rest[len(chunk):]
		n, err := s.insertExchanges(ctx, tx, chunk, encoded[:len(chunk)], items[:len(chunk)], ids)
		encoded, items = encoded[len(chunk):], items[len(chunk):]
		if err != nil {
			return fmt.Errorf("write exchanges: %w", err)
		}
		written = append(written, n...)
	}
	if len(written) > 0 {
		if err := addRollups(ctx, tx, written); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
		if err := addCounts(ctx, tx, written); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write batch: commit: %w", err)
	}
	return nil
}

// beginLocked begins a write transaction holding the writers' lock
// (Dialect.LockRollups). Every transaction that changes body part counts,
// rollups or sessions shared between instances takes it first, deletes
// too: taken later, a writer holding a session or a part's count while
// waiting for it, and a delete holding it while waiting for those rows,
// deadlock.
func (s *Store) beginLocked(ctx context.Context) (*txn, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if err := s.dialect.LockRollups(ctx, tx.Tx); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return tx, nil
}

// The multi-row INSERTs of n rows each, the database choosing each row's id
// or, withIDs, the store (see reserveIDs).
func requestsInsert(withIDs bool) func(n int) string {
	idColumn, idValue := idParts(withIDs)
	// The inserted rows' ids, after their keys where the database chose the
	// ids: reserved by the store in the rows' order, an id tells its row
	// without the key, which SQLite would copy out as a new string a row.
	returned := "request_id, id"
	if withIDs {
		returned = "id"
	}
	return byRows(func(n int) string {
		return `INSERT INTO requests
		(` + idColumn + `session_id, request_id, timestamp, method, path, model, stream, client_ip, user_agent, created_at, status, finish_reason, api_key_id, ignored_params, account, error_type, replaces, client_session_id)
		VALUES ` + values(`(`+idValue+`(SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''))`, n) + `
		ON CONFLICT (request_id) DO NOTHING RETURNING ` + returned
	})
}

func responsesInsert(withIDs bool) func(n int) string {
	idColumn, idValue := idParts(withIDs)
	// None where every row is inserted (no ON CONFLICT) under the ids the
	// store reserved: nothing to learn (SQLite buffers a RETURNING
	// statement's rows in a table of its own).
	returned := "RETURNING response_id, id"
	if withIDs {
		returned = ""
	}
	return byRows(func(n int) string {
		return `INSERT INTO responses
		(` + idColumn + `request_id, session_id, response_id, timestamp, model, stream, status, http_status, finish_reason,
		 chat_id, parent_id, prompt_tokens, completion_tokens, total_tokens, ttft_ms, duration_ms,
		 upstream_attempts, error_type, error, created_at, upstream_errors, duration_us, new_chat_attempts, account, api_key_id)
		VALUES ` + values(`(`+idValue+`?, (SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, NULLIF(?, ''), ?, ?, NULLIF(?, ''), NULLIF(?, ''))`, n) + `
		` + returned
	})
}

var (
	insertRequests         = requestsInsert(false)
	insertRequestsWithIDs  = requestsInsert(true)
	insertResponses        = responsesInsert(false)
	insertResponsesWithIDs = responsesInsert(true)
)

// idParts are the id column and its value's placeholder in an insert
// withIDs, each followed by its comma; empty otherwise.
func idParts(withIDs bool) (column, value string) {
	if withIDs {
		return "id, ", "?, "
	}
	return "", ""
}

// insertOf is the insert of n rows this store's database takes: withIDs
// where it would give a deleted row's id again (see reserveIDs), plain
// otherwise.
func (s *Store) insertOf(plain, withIDs func(n int) string, n int) string {
	if s.dialect.ReusesRowIDs() {
		return withIDs(n)
	}
	return plain(n)
}

var insertRequestBodies = byRows(func(n int) string {
	return `INSERT INTO request_bodies (request_id, openai_request_z, qwen_request_z) VALUES ` + values(`(?, ?, ?)`, n)
})

var insertResponseBodies = byRows(func(n int) string {
	return `INSERT INTO response_bodies (response_id, openai_response_z, qwen_response_z) VALUES ` + values(`(?, ?, ?)`, n)
})

// insertBodies stores the bodies of the calls written (ids: their request
// rows; responseIDs: their response rows) as skeletons and
// parts (see storeParts).
func (s *Store) insertBodies(ctx context.Context, tx *txn, written []qp.Exchange, ids, responseIDs []int64, encoded []callBodies) error {
	var all []*bodyWrite
	var requests, responses []any
	blob := func(b *bodyWrite) any {
		if b == nil {
			return nil
		}
		return b.blob // set by storeParts
	}
	for i := range written {
		for _, b := range encoded[i] {
			if b != nil {
				b.requestID = ids[i]
				all = append(all, b)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	if err := s.storeParts(ctx, tx, all); err != nil {
		return err
	}
	for i := range written {
		e := encoded[i]
		if e[0] != nil || e[1] != nil {
			requests = append(requests, ids[i], blob(e[0]), blob(e[1]))
		}
		if e[2] != nil || e[3] != nil {
			responses = append(responses, responseIDs[i], blob(e[2]), blob(e[3]))
		}
	}
	if err := s.insertRows(ctx, tx, insertRequestBodies(len(requests)/3), requests); err != nil {
		return fmt.Errorf("insert request bodies: %w", err)
	}
	if err := s.insertRows(ctx, tx, insertResponseBodies(len(responses)/3), responses); err != nil {
		return fmt.Errorf("insert response bodies: %w", err)
	}
	return nil
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
		for _, q := range []string{s.insertOf(insertRequests, insertRequestsWithIDs, n), s.insertOf(insertResponses, insertResponsesWithIDs, n), insertRequestBodies(n), insertResponseBodies(n)} {
			if err := s.write.prepare(ctx, q); err != nil {
				return err
			}
		}
	}
	// The session and rollup statements every batch runs.
	every := []string{upsertCount, upsertRequestHour, selectNewerMigration}
	if s.dialect.ReusesRowIDs() {
		every = append(every, reserveRowIDs["requests"], reserveRowIDs["responses"])
	}
	for _, r := range rollupSets {
		for _, table := range r.tables() {
			every = append(every, selectRollup(table), rollupUpsert(table))
		}
	}
	for _, q := range every {
		if err := s.write.prepare(ctx, q); err != nil {
			return err
		}
	}
	// Body parts and sessions: their number does not follow the calls', so
	// every size.
	for n := 1; n <= maxChunk; n *= 2 {
		for _, q := range []string{selectParts(n), insertParts(n), upsertUses(n), selectDeletedSessions(n), selectSessionIDs(n)} {
			if err := s.write.prepare(ctx, q); err != nil {
				return err
			}
		}
		if n <= maxSessionChunk {
			if err := s.write.prepare(ctx, upsertSessions(n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// callBodies are a call's bodies, encoded: OpenAI request, Qwen request,
// OpenAI response, Qwen response (nil where there is none).
type callBodies [4]*bodyWrite

// encodeCalls encodes the bodies of calls (see encode) before the write
// transaction.
func (s *Store) encodeCalls(calls []qp.Exchange) []callBodies {
	out := make([]callBodies, len(calls))
	var requests, rest []*bodyWrite
	for i := range calls {
		rq, rs := &calls[i].Request, &calls[i].Response
		out[i] = callBodies{newBody(rq.OpenAIRequest, true), newBody(rq.QwenRequest, false),
			newBody(rs.OpenAIResponse, false), newBody(rs.QwenResponse, false)}
		if out[i][0] != nil {
			requests = append(requests, out[i][0])
			if out[i][2] != nil {
				out[i][2].echoes = out[i][0]
			}
		}
		// The request sent to Qwen is compressed against the client's: it
		// carries the client's new messages again. Qwen's answer is not
		// against the client's answer: a dictionary costs its whole length
		// in hashing (~75 µs for a 200-event answer against ~10 without),
		// and an answer compresses about as well on its own
		// (BenchmarkCompressWithAnswer, BenchmarkStorageThroughTheProxy).
		if client, upstream := out[i][0], out[i][1]; client != nil && upstream != nil {
			upstream.dict = client
		}
		for _, b := range out[i][1:] {
			if b != nil {
				rest = append(rest, b)
			}
		}
	}
	s.encodeAll(requests) // first: their parts are what the answers may repeat
	s.encodeAll(rest)
	return out
}

// batchIDs are the ids reserved for a batch's requests and responses rows
// (see reserveIDs), handed out chunk after chunk.
type batchIDs struct{ requests, responses *rowIDs }

// insertExchanges writes one chunk of calls, under the next of the batch's
// ids, and returns those that were new.
func (s *Store) insertExchanges(ctx context.Context, tx *txn, chunk []qp.Exchange, encoded []callBodies, items []callIndex, batch batchIDs) ([]qp.Exchange, error) {
	ids := batch.requests
	// A call naming a session that never reached the database (its write was
	// refused) is kept, without the session, rather than failing the batch.
	first := ids.next
	args := make([]any, 0, len(chunk)*27)
	for i := range chunk {
		rq, rs := &chunk[i].Request, &chunk[i].Response
		args = ids.appendNext(args)
		args = append(args, rq.SessionID, rq.RequestID, rq.Timestamp.UnixMilli(), rq.Method, rq.Path, rq.Model, rq.Stream,
			rq.ClientIP, rq.UserAgent, rq.Timestamp.UnixMilli(), rs.Status, rs.FinishReason, rq.APIKeyID, strings.Join(rq.IgnoredParams, ","), rq.Account,
			rs.ErrorType, rq.Replaces, rq.ClientSessionID)
	}
	requestIDs, err := s.insertedIDs(ctx, tx, s.insertOf(insertRequests, insertRequestsWithIDs, len(chunk)), args, chunk, ids.reserved, first)
	if err != nil {
		return nil, fmt.Errorf("insert requests: %w", err)
	}
	var written []qp.Exchange
	var writtenIDs []int64
	var writtenBodies []callBodies
	var writtenItems []callIndex
	for i := range chunk {
		if requestIDs[i] == 0 {
			continue // already stored, or twice in the chunk
		}
		written = append(written, chunk[i])
		writtenIDs = append(writtenIDs, requestIDs[i])
		writtenBodies = append(writtenBodies, encoded[i])
		writtenItems = append(writtenItems, items[i])
	}
	if len(written) == 0 {
		return nil, nil
	}
	ids = batch.responses
	first = ids.next
	args = args[:0]
	for i := range written {
		rq, rs := &written[i].Request, &written[i].Response
		args = ids.appendNext(args)
		args = append(args, writtenIDs[i], rq.SessionID, rs.ResponseID, rs.Timestamp.UnixMilli(), written[i].AnsweringModel(), rq.Stream,
			rs.Status, rs.HTTPStatus, rs.FinishReason, rs.ChatID, rs.ParentID,
			rs.PromptTokens, rs.CompletionTokens, rs.TotalTokens, ttftMillis(rq, rs),
			rs.Duration.Milliseconds(), rs.UpstreamAttempts, rs.ErrorType, rs.ErrorMessage, rs.Timestamp.UnixMilli(),
			strings.Join(rs.UpstreamErrors, "; "), rs.Duration.Microseconds(), rs.NewChatAttempts, rq.Account, rq.APIKeyID)
	}
	responseIDs := make([]int64, len(written))
	query := s.insertOf(insertResponses, insertResponsesWithIDs, len(written))
	if ids.reserved {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return nil, fmt.Errorf("insert responses: %w", err)
		}
		for i := range responseIDs {
			responseIDs[i] = first + int64(i)
		}
	} else {
		byKey, err := s.insertReturning(ctx, tx, query, args)
		if err != nil {
			return nil, fmt.Errorf("insert responses: %w", err)
		}
		for i := range written {
			responseIDs[i] = byKey[written[i].Response.ResponseID]
		}
	}
	if err := s.insertBodies(ctx, tx, written, writtenIDs, responseIDs, writtenBodies); err != nil {
		return nil, err
	}
	if err := s.insertItemIDs(ctx, tx, written, writtenIDs, writtenItems); err != nil {
		return nil, err
	}
	return written, nil
}

// insertedIDs runs a chunk's multi-row requests INSERT (args) and returns
// each chunk row's new id, 0 for a row not inserted (its call stored
// already, or earlier in the chunk). Where the store reserved the ids
// (reserved, from first on, in the rows' order), the insert returns only
// ids; elsewhere request UUIDs and ids.
func (s *Store) insertedIDs(ctx context.Context, tx *txn, query string, args []any, chunk []qp.Exchange, reserved bool, first int64) ([]int64, error) {
	out := make([]int64, len(chunk))
	if !reserved {
		byKey, err := s.insertReturning(ctx, tx, query, args)
		if err != nil {
			return nil, err
		}
		for i := range chunk {
			key := chunk[i].Request.RequestID
			if id, ok := byKey[key]; ok {
				out[i] = id
				delete(byKey, key) // a call twice in one chunk is written once
			}
		}
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		i := id - first
		if i < 0 || i >= int64(len(out)) {
			return nil, fmt.Errorf("inserted id %d outside the %d reserved from %d", id, len(out), first)
		}
		out[i] = id
	}
	return out, rows.Err()
}

// insertReturning runs a multi-row INSERT … RETURNING key, id and maps each
// inserted row's key to its id. Rows come back in no promised order.
func (s *Store) insertReturning(ctx context.Context, tx *txn, query string, args []any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

// ttftMillis is the time to first token in fractional milliseconds, or NULL
// when the call produced no token.
func ttftMillis(rq *qp.Request, rs *qp.Response) any {
	if rs.FirstTokenAt.IsZero() {
		return nil
	}
	return float64(rs.FirstTokenAt.Sub(rq.Timestamp).Microseconds()) / 1000
}

// pick returns the elements of s at the indexes kept, in their order.
func pick[T any](s []T, kept []int) []T {
	out := make([]T, len(kept))
	for i, k := range kept {
		out[i] = s[k]
	}
	return out
}
