package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	qp "qwenproxy"
)

// A -wal or -shm deleted under an open store (an operator's cleanup, a
// tmpwatch) left the server committing into a file no other process could
// see: a `kill -9` then lost every call since the last checkpoint, the CLI
// read the history without them (and made a WAL of its own beside the
// server's), and health said all was well. The next write now checkpoints
// the held WAL into the database file and is refused, so records go to the
// spool until a restart.
func TestADeletedWALOrSHMIsCheckpointedAndRefused(t *testing.T) {
	for _, suffix := range []string{"-wal", "-shm"} {
		t.Run(suffix, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "q.db")
			openMigrated(t, path)
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			call := func(id string) qp.Batch {
				now := time.Now()
				return qp.Batch{Exchanges: []qp.Exchange{{
					Request:  qp.Request{RequestID: id, Timestamp: now, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max"},
					Response: qp.Response{ResponseID: id + "-r", Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200},
				}}}
			}
			if err := s.WriteBatch(ctx, call("before")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path + suffix); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteBatch(ctx, call("after")); !errors.Is(err, ErrJournalGone) {
				t.Fatalf("a write after %s was deleted: %v, want ErrJournalGone", suffix, err)
			}
			if err := s.Check(ctx); !errors.Is(err, ErrJournalGone) {
				t.Errorf("health check after %s was deleted: %v, want ErrJournalGone", suffix, err)
			}
			// Read as another process (or the next start after a crash)
			// would: the store still open, the file without the deleted WAL.
			other, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			var ids []string
			rows, err := other.Query(`SELECT request_id FROM requests`)
			if err != nil {
				t.Fatalf("read the file: %v", err)
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 || ids[0] != "before" {
				t.Errorf("the file holds calls %q, want [before]", ids)
			}
		})
	}
}
