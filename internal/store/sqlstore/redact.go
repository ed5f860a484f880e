package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	qp "qwenproxy"
)

// Redaction masks secrets in what a history keeps (RedactHistory). JSON
// masks a body, a conversation's item or its metadata (a body that is not
// JSON as text); Text masks a session's first message. Each returns its
// argument itself when there is nothing to mask in it.
type Redaction struct {
	JSON, Text func([]byte) []byte
	// Name masks a session's first message, cut to qp.FirstUserMessageMax
	// bytes: Text, and a secret the cut came within (redact.Known.CutTail).
	// nil: Text.
	Name func([]byte) []byte
}

// RedactProgress is how far RedactHistory has come.
type RedactProgress struct {
	Calls     int // calls read
	Rewritten int // of those, the calls whose bodies held a secret, written again masked
	// Left are the calls whose bodies another process changed or deleted
	// between their read and their write (a retention, another run): left
	// as they are, for a run after this one to read again.
	Left     int
	Sessions int // first messages rewritten
	Items    int // conversation items and metadata rewritten
	Failures int // failures' messages and failed attempts rewritten (each a column of a call)
}

// redactBatchBytes bounds the stored bytes of the calls one batch reads.
const redactBatchBytes = 16 << 20

// RedactHistory masks, through r, every body the history keeps — each
// call's client request, the request sent to Qwen, the answer and Qwen's
// answer, the items its item_references named, a failure's message and
// failed attempts — and every session's first message, conversation item
// and conversation's metadata. A call whose
// bodies change is stored again as the recorder stores one (new parts under
// new addresses, its use of the old ones taken off their counts, the old
// ones no call uses removed as a delete removes them, under the backend's
// grace: a writer about to reference one refreshed it first), batch calls
// per write transaction, read and encoded before it; a call another process
// changed or deleted meanwhile is left (Left). Reads return the same JSON
// before and after but for what r masked. Bodies stored before migration
// 0008 are moved into parts first (ReencodeBodies). It is resumable and
// idempotent — a run again reads everything and writes only what still
// holds a secret — and safe beside running servers.
func (s *Store) RedactHistory(ctx context.Context, r Redaction, batch int, progress func(RedactProgress)) (RedactProgress, error) {
	var p RedactProgress
	if err := s.checkGuard(); err != nil {
		return p, err
	}
	if batch <= 0 {
		batch = 100
	}
	if _, err := s.ReencodeBodies(ctx, 200, nil); err != nil {
		return p, fmt.Errorf("redact: %w", err)
	}
	report := func() {
		if progress != nil {
			progress(p)
		}
	}
	for after := int64(0); ; {
		last, err := s.redactCalls(ctx, r, after, batch, &p)
		if err != nil {
			return p, fmt.Errorf("redact call bodies: %w", err)
		}
		if last == after {
			break
		}
		after = last
		report()
	}
	for _, t := range redactTexts {
		if err := redactAll(ctx, s, t, r, "", batch, &p, report); err != nil {
			return p, err
		}
	}
	for _, t := range redactFailures {
		if err := redactAll(ctx, s, t, r, int64(0), batch, &p, report); err != nil {
			return p, err
		}
	}
	for after := (entryKey{}); ; {
		last, err := s.redactEntries(ctx, r, after, batch, &p)
		if err != nil {
			return p, fmt.Errorf("redact conversation items: %w", err)
		}
		if last == after {
			break
		}
		after = last
		report()
	}
	return p, nil
}

// callBlobs are a call's stored bodies as read: the four skeletons
// (OpenAI request, Qwen request, OpenAI response, Qwen response; nil where
// it has none) and its referenced items (compressed; nil for none).
type callBlobs struct {
	skeletons [4][]byte
	items     []byte
}

func (b *callBlobs) dest() []any {
	return []any{&b.skeletons[0], &b.skeletons[1], &b.skeletons[2], &b.skeletons[3], &b.items}
}

func (b *callBlobs) equal(o *callBlobs) bool {
	for i := range b.skeletons {
		if !bytes.Equal(b.skeletons[i], o.skeletons[i]) || (b.skeletons[i] == nil) != (o.skeletons[i] == nil) {
			return false
		}
	}
	return bytes.Equal(b.items, o.items) && (b.items == nil) == (o.items == nil)
}

const callBlobsFrom = `FROM requests q LEFT JOIN request_bodies qb ON qb.request_id = q.id
	LEFT JOIN responses r ON r.request_id = q.id LEFT JOIN response_bodies rb ON rb.response_id = r.id
	LEFT JOIN response_referenced_items ri ON ri.request_id = q.id`

var selectCallBlobs = byRows(func(n int) string {
	return `SELECT q.id, qb.openai_request_z, qb.qwen_request_z, rb.openai_response_z, rb.qwen_response_z, ri.items ` +
		callBlobsFrom + ` WHERE q.id IN (` + values(`?`, n) + `)`
})

// redactedCall is a call whose bodies held a secret: as read, and masked.
type redactedCall struct {
	id, responseID int64
	was            callBlobs
	bodies         callBodies // masked, encoded
	items          []byte     // masked and compressed; nil for none
}

// redactCalls masks the bodies of the calls after the given requests row
// and returns the last row it read (after itself when none is left).
func (s *Store) redactCalls(ctx context.Context, r Redaction, after int64, batch int, p *RedactProgress) (int64, error) {
	changed, last, err := s.readRedacted(ctx, r, after, batch, p)
	if err != nil || len(changed) == 0 {
		return last, err
	}
	if s.redactEncoded != nil {
		s.redactEncoded()
	}
	tx, err := s.beginRedact(ctx)
	if err != nil {
		return after, err
	}
	defer tx.Rollback()
	ids := make([]any, len(changed))
	for i, c := range changed {
		ids[i] = c.id
	}
	now := map[int64]*callBlobs{}
	if err := queryIn(ctx, tx, ids, selectCallBlobs, func(rows *sql.Rows) error {
		var id int64
		var b callBlobs
		if err := rows.Scan(append([]any{&id}, b.dest()...)...); err != nil {
			return err
		}
		now[id] = &b
		return nil
	}); err != nil {
		return after, err
	}
	var all []*bodyWrite
	uses := map[int64]int{}
	var write []*redactedCall
	for _, c := range changed {
		if b := now[c.id]; b == nil || !b.equal(&c.was) {
			p.Left++
			continue
		}
		old, err := partsOf(c.was.skeletons)
		if err != nil {
			return after, fmt.Errorf("body of call %d: %w", c.id, err)
		}
		for _, part := range old {
			uses[part]--
		}
		for _, b := range c.bodies {
			if b != nil {
				b.requestID = c.id
				all = append(all, b)
			}
		}
		write = append(write, c)
	}
	// The new parts' uses first, then the old ones' taken off: a part both
	// use never reaches 0 on the way.
	if err := s.storeParts(ctx, tx, all); err != nil {
		return after, err
	}
	if err := s.addUses(ctx, tx, uses); err != nil {
		return after, err
	}
	blob := func(b *bodyWrite) any {
		if b == nil {
			return nil
		}
		return b.blob
	}
	for _, c := range write {
		if c.was.skeletons[0] != nil || c.was.skeletons[1] != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE request_bodies SET openai_request_z = ?, qwen_request_z = ? WHERE request_id = ?`,
				blob(c.bodies[0]), blob(c.bodies[1]), c.id); err != nil {
				return after, fmt.Errorf("call %d: %w", c.id, err)
			}
		}
		if c.was.skeletons[2] != nil || c.was.skeletons[3] != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE response_bodies SET openai_response_z = ?, qwen_response_z = ? WHERE response_id = ?`,
				blob(c.bodies[2]), blob(c.bodies[3]), c.responseID); err != nil {
				return after, fmt.Errorf("call %d: %w", c.id, err)
			}
		}
		if c.items != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE response_referenced_items SET items = ? WHERE request_id = ?`, c.items, c.id); err != nil {
				return after, fmt.Errorf("call %d: %w", c.id, err)
			}
		}
	}
	old := make([]any, 0, len(uses))
	for id := range uses {
		old = append(old, id)
	}
	if err := s.deleteParts(ctx, tx, old); err != nil {
		return after, err
	}
	if err := tx.Commit(); err != nil {
		return after, err
	}
	p.Rewritten += len(write)
	return last, nil
}

// readRedacted reads the calls after the given requests row (at most
// batch, and redactBatchBytes stored), in one snapshot, masks their
// bodies, and returns, encoded, those a mask changed, with the last row
// read.
func (s *Store) readRedacted(ctx context.Context, r Redaction, after int64, batch int, p *RedactProgress) ([]*redactedCall, int64, error) {
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, after, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT q.id, COALESCE(r.id, 0), qb.openai_request_z, qb.qwen_request_z, rb.openai_response_z, rb.qwen_response_z, ri.items `+
		callBlobsFrom+` WHERE q.id > ? ORDER BY q.id LIMIT ?`, after, batch)
	if err != nil {
		return nil, after, err
	}
	var calls []*redactedCall
	size := 0
	for size < redactBatchBytes && rows.Next() {
		c := &redactedCall{}
		if err := rows.Scan(append([]any{&c.id, &c.responseID}, c.was.dest()...)...); err != nil {
			rows.Close()
			return nil, after, err
		}
		for _, b := range c.was.skeletons {
			size += len(b)
		}
		size += len(c.was.items)
		calls = append(calls, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, after, err
	}
	if len(calls) == 0 {
		return nil, after, nil
	}
	p.Calls += len(calls)
	raws := make([][4][]byte, len(calls))
	stored := make([][4]storedBody, len(calls))
	var reads []bodyRead
	for i, c := range calls {
		for j, b := range c.was.skeletons {
			stored[i][j].blob = b
		}
		// A client body, then the upstream body that may be compressed
		// against it.
		for _, pair := range [][2]int{{0, 1}, {2, 3}} {
			reads = append(reads, bodyRead{from: &stored[i][pair[0]], raw: &raws[i][pair[0]]},
				bodyRead{from: &stored[i][pair[1]], raw: &raws[i][pair[1]], dict: &stored[i][pair[0]]})
		}
	}
	if err := s.readBodies(ctx, tx, reads); err != nil {
		return nil, after, err
	}
	var changed []*redactedCall
	var exchanges []qp.Exchange
	for i, c := range calls {
		var masked [4][]byte
		differs := false
		for j, raw := range raws[i] {
			if raw == nil {
				continue
			}
			masked[j] = r.JSON(raw)
			differs = differs || !bytes.Equal(masked[j], raw)
		}
		if c.was.items != nil {
			items, err := s.codec.Decompress(c.was.items)
			if err != nil {
				return nil, after, fmt.Errorf("referenced items of call %d: %w", c.id, err)
			}
			if kept := r.JSON(items); !bytes.Equal(kept, items) {
				c.items, differs = s.codec.Compress(kept), true
			}
		}
		if !differs {
			continue
		}
		changed = append(changed, c)
		exchanges = append(exchanges, qp.Exchange{
			Request:  qp.Request{OpenAIRequest: masked[0], QwenRequest: masked[1]},
			Response: qp.Response{OpenAIResponse: masked[2], QwenResponse: masked[3]},
		})
	}
	// Encoded as the recorder encodes a call (parts, echoes, the request
	// sent to Qwen against the client's), before the write transaction.
	for i, b := range s.encodeCalls(exchanges) {
		changed[i].bodies = b
	}
	return changed, calls[len(calls)-1].id, nil
}

// redactAll masks every row of t, batch rows at a time.
func redactAll[K string | int64](ctx context.Context, s *Store, t redactText, r Redaction, after K, batch int, p *RedactProgress, report func()) error {
	for {
		last, err := redactRows(ctx, s, t, r, after, batch, p)
		if err != nil {
			return fmt.Errorf("redact %s: %w", t.name, err)
		}
		if last == after {
			return nil
		}
		after = last
		report()
	}
}

// redactText is a column of text masked in place, in rows keyed by one
// column.
type redactText struct {
	name, query, update string
	json                bool // masked as JSON (Redaction.JSON), else as text
	// sessions: each row is a session, rewritten under its lock where
	// sessions are locked (a shared database): a turn reads its session
	// under it and writes it back whole before letting go, and would write
	// the first message back as it read it.
	sessions bool
	count    func(*RedactProgress) *int
}

var redactTexts = []redactText{
	{name: "sessions' first messages", query: `SELECT id, first_user_message FROM sessions WHERE id > ? ORDER BY id LIMIT ?`,
		update: `UPDATE sessions SET first_user_message = ? WHERE id = ? AND first_user_message = ?`, sessions: true,
		count: func(p *RedactProgress) *int { return &p.Sessions }},
	{name: "conversations' metadata", query: `SELECT id, metadata FROM conversations WHERE id > ? ORDER BY id LIMIT ?`,
		update: `UPDATE conversations SET metadata = ? WHERE id = ? AND metadata = ?`, json: true,
		count: func(p *RedactProgress) *int { return &p.Items }},
}

// redactFailures are the columns of a call's failure: the message its
// client was given (an upstream refusal's words, which may have echoed a
// secret) and how each failed attempt failed.
var redactFailures = []redactText{
	{name: "failures' messages", query: `SELECT id, error FROM responses WHERE id > ? AND error IS NOT NULL ORDER BY id LIMIT ?`,
		update: `UPDATE responses SET error = ? WHERE id = ? AND error = ?`,
		count:  func(p *RedactProgress) *int { return &p.Failures }},
	{name: "failed attempts", query: `SELECT id, upstream_errors FROM responses WHERE id > ? AND upstream_errors IS NOT NULL ORDER BY id LIMIT ?`,
		update: `UPDATE responses SET upstream_errors = ? WHERE id = ? AND upstream_errors = ?`,
		count:  func(p *RedactProgress) *int { return &p.Failures }},
}

// redactRows masks the rows of t after the given key and returns the last
// key it read. A row changed since it was read is left as it is now.
func redactRows[K string | int64](ctx context.Context, s *Store, t redactText, r Redaction, after K, batch int, p *RedactProgress) (K, error) {
	mask := r.Text
	switch {
	case t.json:
		mask = r.JSON
	case t.sessions && r.Name != nil:
		mask = r.Name
	}
	type row struct {
		key       K
		was, kept string
	}
	var list []row
	last := after
	rows, err := s.read.QueryContext(ctx, t.query, after, batch)
	if err != nil {
		return after, err
	}
	for rows.Next() {
		var key K
		var text string
		if err := rows.Scan(&key, &text); err != nil {
			rows.Close()
			return after, err
		}
		last = key
		if kept := string(mask([]byte(text))); kept != text {
			list = append(list, row{key, text, kept})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return after, err
	}
	if len(list) == 0 {
		return last, nil
	}
	update := func(rows []row) (int, error) {
		tx, err := s.beginRedact(ctx)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		n := 0
		for _, r := range rows {
			res, err := tx.ExecContext(ctx, t.update, r.kept, r.key, r.was)
			if err != nil {
				return 0, err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
		}
		return n, tx.Commit()
	}
	locker := s.Locker()
	if !t.sessions || locker == nil {
		n, err := update(list)
		if err != nil {
			return after, err
		}
		*t.count(p) += n
		return last, nil
	}
	for _, r := range list {
		lock, err := locker.LockSession(ctx, fmt.Sprint(r.key))
		if err != nil {
			return after, err
		}
		n, err := update([]row{r})
		lock.Unlock()
		if err != nil {
			return after, err
		}
		*t.count(p) += n
	}
	return last, nil
}

// entryKey is a conversation entry's place.
type entryKey struct {
	conversation string
	seq          int64
}

// redactEntries masks the items added to conversations after the given
// entry and returns the last entry it read.
func (s *Store) redactEntries(ctx context.Context, r Redaction, after entryKey, batch int, p *RedactProgress) (entryKey, error) {
	type row struct {
		key       entryKey
		was, kept string
	}
	var list []row
	last := after
	rows, err := s.read.QueryContext(ctx, `SELECT conversation_id, seq, item FROM conversation_entries
		WHERE item IS NOT NULL AND (conversation_id > ? OR (conversation_id = ? AND seq > ?))
		ORDER BY conversation_id, seq LIMIT ?`, after.conversation, after.conversation, after.seq, batch)
	if err != nil {
		return after, err
	}
	for rows.Next() {
		var e row
		if err := rows.Scan(&e.key.conversation, &e.key.seq, &e.was); err != nil {
			rows.Close()
			return after, err
		}
		last = e.key
		if e.kept = string(r.JSON([]byte(e.was))); e.kept != e.was {
			list = append(list, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return after, err
	}
	if len(list) == 0 {
		return last, nil
	}
	tx, err := s.beginRedact(ctx)
	if err != nil {
		return after, err
	}
	defer tx.Rollback()
	n := 0
	for _, e := range list {
		res, err := tx.ExecContext(ctx, `UPDATE conversation_entries SET item = ? WHERE conversation_id = ? AND seq = ? AND item = ?`,
			e.kept, e.key.conversation, e.key.seq, e.was)
		if err != nil {
			return after, err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	if err := tx.Commit(); err != nil {
		return after, err
	}
	p.Items += n
	return last, nil
}

// beginRedact begins a transaction of the rewrite: what it deletes or
// overwrites is erased from the file where the backend can (SQLite's
// secure_delete), not left in the freed space of its pages for a reader of
// the file to find.
func (s *Store) beginRedact(ctx context.Context) (*txn, error) {
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.dialect.EraseDeleted(ctx, tx.Tx); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("erase what is rewritten: %w", err)
	}
	return tx, nil
}
