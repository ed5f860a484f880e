package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
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
	// row each and share nothing; they are compressed whole, but for the
	// parts a client's answer repeats of its request (encodeCalls).
	split bool
	// echoes is the request a client's answer may repeat parts of (the
	// Responses API echoes its instructions and tools): those are cut out
	// as the request's parts. Encoded after the request.
	echoes *bodyWrite
	// dict is the call's client body an upstream body is compressed
	// against (bodies.Codec.CompressWith): the request sent to Qwen carries
	// the client's new messages again. A read decodes the client body first
	// (readBodies); blobs of earlier versions have Qwen's answer against
	// the client's answer.
	dict *bodyWrite

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
	switch {
	case b.split:
		b.spans = bodies.Split(b.raw)
	case b.echoes != nil:
		b.spans = bodies.Repeats(b.raw, b.echoes.raw, b.echoes.spans)
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
	if b.dict != nil {
		b.literal = s.codec.CompressWith(bodies.Literal(b.raw, b.spans), b.dict.raw)
		return
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

var upsertUses = byRows(func(n int) string {
	return `INSERT INTO body_part_uses (part_id, uses) VALUES ` + values(`(?, ?)`, n) + `
		ON CONFLICT (part_id) DO UPDATE SET uses = body_part_uses.uses + excluded.uses`
})

var selectParts = byRows(func(n int) string {
	return `SELECT id, hash, last_used FROM body_parts WHERE hash IN (` + values(`?`, n) + `)`
})

var insertParts = byRows(func(n int) string {
	return `INSERT INTO body_parts (hash, size, data, last_used) VALUES ` + values(`(?, ?, ?, ?)`, n) + `
		ON CONFLICT (hash) DO UPDATE SET last_used = excluded.last_used RETURNING hash, id`
})

// partIDs returns the stored id of every part in want, storing those not
// stored yet (compressed) and refreshing the last_used of old ones.
func (s *Store) partIDs(ctx context.Context, tx *txn, want map[hash]partWrite, now int64) (map[hash]int64, error) {
	ids := make(map[hash]int64, len(want))
	if len(want) == 0 {
		return ids, nil
	}
	// Only the parts known to be stored are looked up: a part encode
	// compressed (not known) is most likely new, and its insert below
	// stores it or, stored already, refreshes its last_used and returns its
	// id just the same, without a lookup of every new part first.
	all := make([]any, 0, len(want))
	for h, part := range want {
		if part.packed == nil {
			all = append(all, h[:])
		}
	}
	var stale []any
	staleSet := map[int64]bool{}
	err := queryIn(ctx, tx, all, selectParts, func(rows *sql.Rows) error {
		var id, used int64
		var h []byte
		if err := rows.Scan(&id, &h, &used); err != nil {
			return err
		}
		ids[hash(h)] = id
		if used < now-partTouch.Milliseconds() && !staleSet[id] {
			stale = append(stale, id)
			staleSet[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find body parts: %w", err)
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
	// The rows' hashes share one array and their last_used one boxed
	// value: a hash sliced from the loop's copy and each row's own boxed
	// time were two allocations a part.
	insert := make([]any, 0, 4*(len(want)-len(ids)))
	hashes := make([]byte, 0, sha256.Size*(len(want)-len(ids)))
	nowArg := any(now)
	for h, part := range want {
		if _, ok := ids[h]; !ok {
			if part.packed == nil {
				part.packed = s.codec.Compress(part.raw)
			}
			hashes = append(hashes, h[:]...)
			insert = append(insert, hashes[len(hashes)-sha256.Size:], len(part.raw), part.packed, nowArg)
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
