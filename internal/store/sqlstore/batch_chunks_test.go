package sqlstore_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A batch is written in chunks of 4, 2 and 1 calls under ids reserved for
// the whole batch, and a row's id tells which call it holds: each call must
// read back with its own response and bodies, byte for byte, when the
// batch also holds a call stored before (a spool replayed) and a call
// twice, whose rows leave reserved ids unused.
func TestABatchOfChunksKeepsEachCallsRows(t *testing.T) {
	storetest.Each(t, testABatchOfChunksKeepsEachCallsRows)
}

func testABatchOfChunksKeepsEachCallsRows(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	call := func(i int) qp.Exchange {
		e := exchange(i, "")
		long := strings.Repeat(fmt.Sprintf("message of call %d ", i), 12) // a part of its own
		e.Request.OpenAIRequest = []byte(fmt.Sprintf(`{"messages":[{"role":"user","content":%q}]}`, long))
		e.Request.QwenRequest = []byte(fmt.Sprintf(`{"chat_id":"c%d"}`, i))
		e.Response.OpenAIResponse = []byte(fmt.Sprintf(`{"id":"answer-%d"}`, i))
		e.Response.QwenResponse = []byte(fmt.Sprintf(`{"n":%d}`, i))
		return e
	}
	if err := st.WriteExchanges(ctx, []qp.Exchange{call(2)}); err != nil {
		t.Fatal(err)
	}
	batch := []qp.Exchange{call(1), call(2), call(3), call(4), call(5), call(5), call(6)} // 7 rows: chunks of 4, 2, 1
	if err := st.WriteExchanges(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ {
		want := call(i)
		rec, err := st.Request(ctx, want.Request.RequestID)
		if err != nil {
			t.Fatalf("read call %d: %v", i, err)
		}
		if rec.Response == nil || rec.Response.ResponseID != want.Response.ResponseID {
			t.Fatalf("call %d reads back with response %+v, want %s", i, rec.Response, want.Response.ResponseID)
		}
		for _, b := range []struct {
			name      string
			got, want []byte
		}{
			{"OpenAI request", rec.OpenAIRequest, want.Request.OpenAIRequest},
			{"Qwen request", rec.QwenRequest, want.Request.QwenRequest},
			{"OpenAI response", rec.Response.OpenAIResponse, want.Response.OpenAIResponse},
			{"Qwen response", rec.Response.QwenResponse, want.Response.QwenResponse},
		} {
			if !bytes.Equal(b.got, b.want) {
				t.Errorf("call %d's %s reads back as %q, want %q", i, b.name, b.got, b.want)
			}
		}
	}
	var requests, responses int
	if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM responses)`).Scan(&requests, &responses); err != nil {
		t.Fatal(err)
	}
	if requests != 6 || responses != 6 {
		t.Fatalf("%d requests and %d responses stored, want 6 of each", requests, responses)
	}
}
