package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// storedCall is a call as the server records it, answered as response
// resp-<answer>: a second call answered under the same response id is one
// the database refuses (responses.response_id is unique), as it would a
// value it cannot store.
func storedCall(i, answer int) qp.Exchange {
	at := time.UnixMilli(time.Now().UnixMilli())
	return qp.Exchange{
		Request: qp.Request{RequestID: fmt.Sprint("req-", i), Timestamp: at, Method: "POST", Path: "/v1/chat/completions",
			Model: "qwen3-max"},
		Response: qp.Response{ResponseID: fmt.Sprint("resp-", answer), Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200},
	}
}

// A record the database refuses for what it holds is set aside — kept in
// the spool's .rejected file, logged by request id, counted — and the
// records beside it and after it are written: before, the whole batch went
// to the spool, whose replay then stopped at it for good, and nothing more
// was recorded. The same holds of a refused record already in the spool.
func TestARecordTheDatabaseRefusesIsSetAsideNotAllAfterIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		dir := t.TempDir()
		spool := filepath.Join(dir, "db.spool")
		// A refused record waits in the spool (an earlier run's), between two good ones.
		var spooled []byte
		for i, answer := range []int{100, 100, 102} { // req-101 is answered as req-100 was
			e := storedCall(100+i, answer)
			line, _ := json.Marshal(spoolLine{Exchange: &e})
			spooled = append(append(spooled, line...), '\n')
		}
		if err := os.WriteFile(spool, spooled, 0o600); err != nil {
			t.Fatal(err)
		}
		var logs logtest.Buffer
		r := mustNew(t, st, slog.New(slog.NewJSONHandler(&logs, nil)), Options{SpoolPath: spool, BatchSize: 100})
		for i := range 6 {
			answer := i
			if i == 3 {
				answer = 0 // as req-0 was
			}
			r.Record(storedCall(i, answer))
		}
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.Record(storedCall(6, 6)) // and the next batch goes through too
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		st2 := r.Stats()
		r.Close(context.Background())

		var ids []string
		rows, err := st.DB().Query(`SELECT request_id FROM requests ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if got := strings.Join(ids, ","); got != "req-100,req-102,req-0,req-1,req-2,req-4,req-5,req-6" {
			t.Fatalf("stored %s", got)
		}
		if st2.Rejected != 2 || st2.Written != 8 || st2.SpoolBytes != 0 {
			t.Fatalf("stats %+v", st2)
		}
		side, err := os.ReadFile(spool + ".rejected")
		if err != nil || bytes.Count(side, []byte("\n")) != 2 || !bytes.Contains(side, []byte(`"req-101"`)) || !bytes.Contains(side, []byte(`"req-3"`)) {
			t.Fatalf("set aside: %q (%v)", side, err)
		}
		for _, id := range []string{"req-101", "req-3"} {
			if !strings.Contains(logs.String(), `"msg":"record refused by the database; set aside"`) || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
				t.Fatalf("%s not logged as set aside:\n%s", id, logs.String())
			}
		}
	})
}

// scriptedWriter refuses, for what it holds, any batch with the call "bad",
// and is unavailable to any batch with the call "after" while down.
type scriptedWriter struct {
	down    atomic.Bool
	written []string
}

func (w *scriptedWriter) WriteBatch(_ context.Context, b qp.Batch) error {
	for _, e := range b.Exchanges {
		switch {
		case e.Request.RequestID == "bad":
			return fmt.Errorf("%w: a value it cannot store", qp.ErrRecordRefused)
		case e.Request.RequestID == "after" && w.down.Load():
			return errors.New("the database is gone")
		}
	}
	for _, e := range b.Exchanges {
		w.written = append(w.written, e.Request.RequestID)
	}
	return nil
}

// A call set aside while its batch could not be written for another reason
// (the database went away mid-way: the batch is retried, then spooled and
// replayed) is set aside once, not once a try.
func TestARecordIsSetAsideOnceHoweverOftenItsBatchIsWritten(t *testing.T) {
	spool := filepath.Join(t.TempDir(), "db.spool")
	w := &scriptedWriter{}
	w.down.Store(true)
	r := mustNew(t, w, quiet, Options{SpoolPath: spool, BatchSize: 100, RetryDelay: time.Millisecond})
	r.Record(qp.Exchange{Request: qp.Request{RequestID: "bad"}})
	r.Record(qp.Exchange{Request: qp.Request{RequestID: "after"}})
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.SpoolBytes == 0 {
		t.Fatalf("the batch was not spooled while the database was gone: %+v", st)
	}
	w.down.Store(false)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	r.Close(context.Background())
	side, _ := os.ReadFile(spool + ".rejected")
	if n := bytes.Count(side, []byte("\n")); n != 1 || st.Rejected != 1 || strings.Join(w.written, ",") != "after" {
		t.Fatalf("set aside %d times (%d counted), written %v", n, st.Rejected, w.written)
	}
}
