package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"qwenproxy/internal/store/bodies"
)

// storedBody is a body as read: text (written before migration 0008 and
// not re-encoded yet) or a skeleton blob.
type storedBody struct {
	text sql.NullString
	blob []byte
}

func (b *storedBody) dest() []any { return []any{&b.text, &b.blob} }

// bodyRead is a stored body and where its JSON goes; dict, for an upstream
// body, is the call's client body it may be compressed against.
type bodyRead struct {
	from *storedBody
	to   *json.RawMessage
	dict *storedBody
	// raw, when set, takes the body's bytes as stored instead of to (a
	// body that is not JSON as it is, not as a JSON string): what
	// RedactHistory encodes again.
	raw *[]byte
}

// pairReads reads a call's client body and the upstream body stored with
// it (the request and the request sent to Qwen, or the answer and Qwen's).
func pairReads(client, upstream *storedBody, clientTo, upstreamTo *json.RawMessage) []bodyRead {
	return []bodyRead{{from: client, to: clientTo}, {from: upstream, to: upstreamTo, dict: client}}
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
		literal []byte // as stored: compressed
	}
	skels := make([]skeleton, len(reads))
	need := map[int64]bool{}
	for i, r := range reads {
		if r.from.blob == nil {
			if r.raw != nil {
				if r.from.text.Valid {
					*r.raw = []byte(r.from.text.String)
				}
				continue
			}
			*r.to = rawJSON(r.from.text)
			continue
		}
		refs, lit, err := bodies.Unpack(r.from.blob)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		for _, ref := range refs {
			need[ref.ID] = true
		}
		skels[i] = skeleton{refs, lit}
	}
	parts, err := s.readParts(ctx, db, need)
	if err != nil {
		return err
	}
	read := map[*storedBody][]byte{} // the bodies joined so far, for those compressed against them
	join := func(i int, r bodyRead) error {
		literal, err := s.codec.DecompressWith(skels[i].literal, read[r.dict])
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		body, err := bodies.Join(skels[i].refs, literal, func(id int64) ([]byte, error) {
			p, ok := parts[id]
			if !ok {
				return nil, fmt.Errorf("missing")
			}
			return p, nil
		})
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		read[r.from] = body
		if r.raw != nil {
			if body == nil {
				body = []byte{} // an empty body is a body
			}
			*r.raw = body
			return nil
		}
		*r.to = rawJSON(sql.NullString{String: string(body), Valid: true})
		return nil
	}
	// Client bodies first: an upstream body may be compressed against one.
	for _, upstream := range []bool{false, true} {
		for i, r := range reads {
			if r.from.blob != nil && (r.dict != nil) == upstream {
				if err := join(i, r); err != nil {
					return err
				}
			}
		}
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
