package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// TestAnItemReferenceNamesTheNewestCarrierAtOnce: an item_reference to an
// id a client gave two of its items, one call after the other, names the
// newer at once, the newer call's record still queued in the recorder (as
// for RECORDER_LINGER after its answer). Until 2026-12-06 the queue was
// written only when the index knew no carrier of the id, so the index,
// which knew the older call, gave its item meanwhile.
func TestAnItemReferenceNamesTheNewestCarrierAtOnce(t *testing.T) {
	storetest.EachBackend(t, testAnItemReferenceNamesTheNewestCarrierAtOnce)
}

func testAnItemReferenceNamesTheNewestCarrierAtOnce(t *testing.T, backend string) {
	e := startOn(t, backend, func(c *config.Config) { c.RecorderLinger = time.Hour }) // a call's record stays queued
	carry := func(word string) {
		t.Helper()
		body := `{"model":"qwen3-max","input":[{"type":"message","id":"msg_twice","role":"user","content":"The word is ` + word + `."}]}`
		if status, b := convCall(t, e, "POST", "/v1/responses", "", body, nil); status != http.StatusOK {
			t.Fatalf("carry %s: %d %s", word, status, b)
		}
	}
	carry("older")
	e.sync() // the older carrier is in the database, and in the index
	carry("newer")
	var answered struct {
		ID string `json:"id"`
	}
	if status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"msg_twice"},{"role":"user","content":"Which word?"}]}`, &answered); status != http.StatusOK {
		t.Fatalf("reference: %d %s", status, b)
	}
	var input convList
	if status, b := convCall(t, e, "GET", "/v1/responses/"+answered.ID+"/input_items?order=asc", "", "", &input); status != http.StatusOK {
		t.Fatalf("input_items: %d %s", status, b)
	}
	if len(input.Data) != 2 || input.Data[0].ID != "msg_twice" || !strings.Contains(input.Data[0].text(), "newer") {
		t.Fatalf("the referenced item: %+v, want msg_twice of the newer call", input.Data)
	}
}
