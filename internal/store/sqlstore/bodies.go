package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"qwenproxy/internal/store/bodies"
)

// A part's last_used guards its removal against a writer that is about to
// reference it: removal takes only parts unused for partGrace (SQLite's
// writers are serialised, so there it is 0 and size retention frees space at
// once), and a writer refreshes a part it uses once its last_used is older
// than partTouch, well inside the grace.
const partTouch = 10 * time.Minute

// hash is a part's SHA-256.
type hash = [sha256.Size]byte

// bodyWrite is one body to store: its bytes, and the call that uses its
// parts.
type bodyWrite struct {
	requestID int64
	raw       []byte
	// split cuts the body into parts. Only a client's request is: it is what
	// clients resend, call after call. Answers and the bodies sent to Qwen
	// (the new turn only, or a whole history flattened into one text) do not
	// recur as such — an answer comes back inside the next request as a
	// message, bytes of a different shape — so parts of them would cost a
	// row each and share nothing; they are compressed whole.
	split bool

	// Set by encode, before the write transaction:
	spans   []bodies.Span
	hashes  []hash
	packed  [][]byte // each part compressed, nil where it is likely stored already
	literal []byte   // the literal, compressed

	blob []byte // set by storeParts: the stored skeleton
}

// newBody is a body to store, or nil for none.
func newBody(raw []byte, split bool) *bodyWrite {
	if raw == nil {
		return nil
	}
	return &bodyWrite{raw: raw, split: split}
}

// encode does the work on a body that needs no database: finding its parts,
// hashing them, compressing its literal and the parts not known to be
// stored. It is safe to run on several bodies at once.
func (s *Store) encode(b *bodyWrite) {
	if b.split {
		b.spans = bodies.Split(b.raw)
	}
	b.hashes = make([]hash, len(b.spans))
	b.packed = make([][]byte, len(b.spans))
	for i, sp := range b.spans {
		part := b.raw[sp.Start:sp.End]
		b.hashes[i] = sha256.Sum256(part)
		if !s.known.has(b.hashes[i]) {
			b.packed[i] = s.codec.Compress(part)
		}
	}
	b.literal = s.codec.Compress(bodies.Literal(b.raw, b.spans))
}

// encodeAll encodes bodies on every core: compression is most of a body's
// cost, and the write transaction that follows runs on one.
func (s *Store) encodeAll(bs []*bodyWrite) {
	workers := min(runtime.GOMAXPROCS(0), 8, len(bs))
	if workers <= 1 {
		for _, b := range bs {
			s.encode(b)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(bs)); i = next.Add(1) - 1 {
				s.encode(bs[i])
			}
		}()
	}
	wg.Wait()
}

// storeParts stores the parts of encoded bodies (each distinct one once,
// shared with whatever stored it before), counts the calls that use them,
// and sets each body's blob. It runs in the caller's write transaction.
func (s *Store) storeParts(ctx context.Context, tx *txn, bs []*bodyWrite) error {
	want := map[hash]partWrite{}
	for _, b := range bs {
		for i, h := range b.hashes {
			sp := b.spans[i]
			if w, ok := want[h]; !ok || w.packed == nil {
				want[h] = partWrite{raw: b.raw[sp.Start:sp.End], packed: b.packed[i]}
			}
		}
	}
	ids, err := s.partIDs(ctx, tx, want, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	uses := map[int64]int{} // part → calls using it, each call counted once
	type use struct{ request, part int64 }
	seen := map[use]bool{}
	for _, b := range bs {
		partIDs := make([]int64, len(b.hashes))
		for i, h := range b.hashes {
			partIDs[i] = ids[h]
			if u := (use{b.requestID, ids[h]}); !seen[u] {
				seen[u] = true
				uses[u.part]++
			}
		}
		b.blob = bodies.Pack(b.spans, partIDs, b.literal)
	}
	return s.addUses(ctx, tx, uses)
}

// partWrite is a part to store: its bytes, and compressed if that is done.
type partWrite struct{ raw, packed []byte }

// addUses adds to the parts' use counts (negative: takes away).
func (s *Store) addUses(ctx context.Context, tx *txn, uses map[int64]int) error {
	args := make([]any, 0, 2*len(uses))
	for id, n := range uses {
		args = append(args, id, n)
	}
	for len(args) > 0 {
		n := chunkSize(len(args) / 2)
		if err := s.insertRows(ctx, tx, upsertUses(n), args[:2*n]); err != nil {
			return fmt.Errorf("count body part uses: %w", err)
		}
		args = args[2*n:]
	}
	return nil
}

func upsertUses(n int) string {
	return `INSERT INTO body_part_uses (part_id, uses) VALUES ` + values(`(?, ?)`, n) + `
		ON CONFLICT (part_id) DO UPDATE SET uses = body_part_uses.uses + excluded.uses`
}

func selectParts(n int) string {
	return `SELECT id, hash, last_used FROM body_parts WHERE hash IN (` + values(`?`, n) + `)`
}

func insertParts(n int) string {
	return `INSERT INTO body_parts (hash, size, data, last_used) VALUES ` + values(`(?, ?, ?, ?)`, n) + `
		ON CONFLICT (hash) DO UPDATE SET last_used = excluded.last_used RETURNING hash, id`
}

// partIDs returns the stored id of every part in want, storing those not
// stored yet (compressed) and refreshing the last_used of old ones.
func (s *Store) partIDs(ctx context.Context, tx *txn, want map[hash]partWrite, now int64) (map[hash]int64, error) {
	ids := make(map[hash]int64, len(want))
	if len(want) == 0 {
		return ids, nil
	}
	all := make([]any, 0, len(want))
	for h := range want {
		all = append(all, h[:])
	}
	var stale []any
	staleSet := map[int64]bool{}
	for rest := all; len(rest) > 0; {
		// Pad the IN list to a power of two with repeats, so that its few
		// statement shapes are prepared once.
		n := min(maxChunk, len(rest))
		size := maxChunk
		for size/2 >= n {
			size /= 2
		}
		args := append(append(make([]any, 0, size), rest[:n]...), repeat(rest[n-1], size-n)...)
		rest = rest[n:]
		rows, err := s.stmt(ctx, tx, selectParts(size)).QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("find body parts: %w", err)
		}
		for rows.Next() {
			var id, used int64
			var h []byte
			if err := rows.Scan(&id, &h, &used); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find body parts: %w", err)
			}
			ids[hash(h)] = id
			if used < now-partTouch.Milliseconds() && !staleSet[id] {
				stale = append(stale, id)
				staleSet[id] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find body parts: %w", err)
		}
	}
	// Refreshed rows are locked until the transaction ends; a part removed
	// since it was read is stored again below.
	kept := map[int64]bool{}
	for rest := stale; len(rest) > 0; {
		n := min(len(rest), 500)
		rows, err := tx.QueryContext(ctx, `UPDATE body_parts SET last_used = ? WHERE id IN (`+values("?", n)+`) RETURNING id`,
			append([]any{now}, rest[:n]...)...)
		if err != nil {
			return nil, fmt.Errorf("refresh body parts: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("refresh body parts: %w", err)
			}
			kept[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("refresh body parts: %w", err)
		}
		rest = rest[n:]
	}
	if len(stale) > 0 {
		for h, id := range ids {
			if !kept[id] && staleSet[id] {
				delete(ids, h)
			}
		}
	}
	var insert []any
	for h, part := range want {
		if _, ok := ids[h]; !ok {
			if part.packed == nil {
				part.packed = s.codec.Compress(part.raw)
			}
			insert = append(insert, h[:], len(part.raw), part.packed, now)
		}
	}
	for len(insert) > 0 {
		n := chunkSize(len(insert) / 4)
		got, err := s.insertReturning(ctx, tx, insertParts(n), insert[:4*n])
		if err != nil {
			return nil, fmt.Errorf("store body parts: %w", err)
		}
		for h, id := range got {
			ids[hash([]byte(h))] = id
		}
		insert = insert[4*n:]
	}
	for h := range ids {
		s.known.add(h)
	}
	return ids, nil
}

func repeat(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// storedBody is a body as read: text (written before migration 0008 and
// not re-encoded yet) or a skeleton blob.
type storedBody struct {
	text sql.NullString
	blob []byte
}

func (b *storedBody) dest() []any { return []any{&b.text, &b.blob} }

// bodyRead is a stored body and where its JSON goes.
type bodyRead struct {
	from *storedBody
	to   *json.RawMessage
}

// snapshot is a read-only transaction whose reads all see one state of the
// database: a body read in it finds its parts even if a delete removes them
// meanwhile. The caller rolls it back.
func (s *Store) snapshot(ctx context.Context) (*txn, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin read: %w", err)
	}
	return tx, nil
}

// listReader is what a list reads with: a snapshot when it reads bodies
// (see snapshot), else the read pool. done ends it.
func (s *Store) listReader(ctx context.Context, bodies bool) (db querier, done func(), err error) {
	if !bodies {
		return s.read, func() {}, nil
	}
	tx, err := s.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	return tx, func() { tx.Rollback() }, nil
}

// readBodies decodes stored bodies, fetching their parts in a few queries
// (in the snapshot the bodies were read in), each distinct part
// decompressed once.
func (s *Store) readBodies(ctx context.Context, db querier, reads []bodyRead) error {
	type skeleton struct {
		refs    []bodies.Ref
		literal []byte
	}
	skels := make([]skeleton, len(reads))
	need := map[int64]bool{}
	for i, r := range reads {
		if r.from.blob == nil {
			*r.to = rawJSON(r.from.text)
			continue
		}
		refs, lit, err := bodies.Unpack(r.from.blob)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		literal, err := s.codec.Decompress(lit)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		for _, ref := range refs {
			need[ref.ID] = true
		}
		skels[i] = skeleton{refs, literal}
	}
	parts, err := s.readParts(ctx, db, need)
	if err != nil {
		return err
	}
	for i, r := range reads {
		if r.from.blob == nil {
			continue
		}
		body, err := bodies.Join(skels[i].refs, skels[i].literal, func(id int64) ([]byte, error) {
			p, ok := parts[id]
			if !ok {
				return nil, fmt.Errorf("missing")
			}
			return p, nil
		})
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		*r.to = rawJSON(sql.NullString{String: string(body), Valid: true})
	}
	return nil
}

// readParts fetches and decompresses the parts named.
func (s *Store) readParts(ctx context.Context, db querier, need map[int64]bool) (map[int64][]byte, error) {
	parts := make(map[int64][]byte, len(need))
	ids := make([]any, 0, len(need))
	for id := range need {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := db.QueryContext(ctx, `SELECT id, data FROM body_parts WHERE id IN (`+values("?", n)+`)`, ids[:n]...)
		if err != nil {
			return nil, fmt.Errorf("read body parts: %w", err)
		}
		for rows.Next() {
			var id int64
			var data []byte
			if err := rows.Scan(&id, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read body parts: %w", err)
			}
			if parts[id], err = s.codec.Decompress(data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read body part %d: %w", id, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read body parts: %w", err)
		}
		ids = ids[n:]
	}
	return parts, nil
}

// releaseParts takes the calls matching cond (on requests q), about to be
// deleted, off the use counts of the parts their bodies use, and returns
// those parts: the candidates for deleteParts.
func (s *Store) releaseParts(ctx context.Context, tx *txn, cond string, args ...any) ([]any, error) {
	rows, err := tx.QueryContext(ctx, `SELECT q.id, qb.openai_request_z, qb.qwen_request_z, rb.openai_response_z, rb.qwen_response_z
		FROM requests q LEFT JOIN request_bodies qb ON qb.request_id = q.id
		LEFT JOIN responses r ON r.request_id = q.id LEFT JOIN response_bodies rb ON rb.response_id = r.id WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("find body parts of deleted calls: %w", err)
	}
	uses := map[int64]int{}
	for rows.Next() {
		var id int64
		var blobs [4][]byte
		if err := rows.Scan(&id, &blobs[0], &blobs[1], &blobs[2], &blobs[3]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find body parts of deleted calls: %w", err)
		}
		used := map[int64]bool{}
		for _, blob := range blobs {
			if blob == nil {
				continue
			}
			refs, _, err := bodies.Unpack(blob)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("body of deleted call %d: %w", id, err)
			}
			for _, r := range refs {
				used[r.ID] = true
			}
		}
		for part := range used {
			uses[part]--
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find body parts of deleted calls: %w", err)
	}
	if err := s.addUses(ctx, tx, uses); err != nil {
		return nil, err
	}
	ids := make([]any, 0, len(uses))
	for id := range uses {
		ids = append(ids, id)
	}
	return ids, nil
}

// deleteParts removes, of the candidate parts (those of calls just
// deleted), the ones no call uses any more and none has used within the
// backend's grace: what a delete frees, at the cost of what it deleted.
func (s *Store) deleteParts(ctx context.Context, tx *txn, ids []any) error {
	cutoff := time.Now().Add(-s.dialect.PartGrace()).UnixMilli()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if _, err := tx.ExecContext(ctx, `DELETE FROM body_parts WHERE id IN (`+values("?", n)+`) AND last_used <= ?
			AND id IN (SELECT part_id FROM body_part_uses WHERE uses <= 0)`, append(ids[:n:n], cutoff)...); err != nil {
			return fmt.Errorf("delete unused body parts: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// PartGrace is how long a part stays after its last use even when no call
// uses it (see partTouch).
func (s *Store) PartGrace() time.Duration { return s.dialect.PartGrace() }

// DeleteUnusedParts removes the body parts no call uses any more and none
// has used since usedBefore, and returns how many it removed. Deletes remove
// the parts they free themselves (deleteParts); this sweeps up those a
// delete had to leave because their last use was inside the backend's grace
// (PostgreSQL only: SQLite's grace is 0). The parts no call uses are few
// and indexed, so a sweep costs little however large the history.
func (s *Store) DeleteUnusedParts(ctx context.Context, usedBefore time.Time) (int, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	defer tx.Rollback()
	if err := s.dialect.LockRollups(ctx, tx.Tx); err != nil { // see WriteBatch
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM body_parts WHERE last_used < ?
		AND id IN (SELECT part_id FROM body_part_uses WHERE uses <= 0)`, usedBefore.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	return int(n), nil
}

// knownParts remembers the hashes of parts recently stored, so that encode
// need not compress a part the database already holds (the system prompt
// resent on every call). A hint only: storeParts asks the database. Bounded:
// forgotten all at once when full.
type knownParts struct {
	mu  sync.Mutex
	set map[hash]struct{}
}

const maxKnownParts = 1 << 16

func (k *knownParts) has(h hash) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.set[h]
	return ok
}

func (k *knownParts) add(h hash) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.set == nil || len(k.set) >= maxKnownParts {
		k.set = make(map[hash]struct{})
	}
	k.set[h] = struct{}{}
}
