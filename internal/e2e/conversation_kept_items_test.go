package e2e

import (
	"database/sql"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// TestConversationItemsAreKeptAsTheRecordKeepsThem: items added to a
// conversation directly (at its creation, and with POST …/items) are
// stored as the record of a call sending them keeps them — a secret-named
// field, also inside a function call's arguments, as [REDACTED], and its
// value wherever else the call's items and metadata hold it; the proxy key the call was
// made with masked wherever it stands; an image as its
// reference (RECORD_IMAGE_BYTES off) — so that no row, no listing and no
// request sent on holds them, while the conversation goes on: the next
// response sends Qwen the items as kept (the image told as not kept). Until
// 2026-12-05 the items were stored as sent, secrets and image bytes
// included, and served back by GET …/items. On both backends.
func TestConversationItemsAreKeptAsTheRecordKeepsThem(t *testing.T) {
	storetest.EachBackend(t, testConversationItemsAreKeptAsTheRecordKeepsThem)
}

func testConversationItemsAreKeptAsTheRecordKeepsThem(t *testing.T, backend string) {
	const key = "sk-proxy-CONVKEY-0123456789"
	const secret = "sk-live-ITEMSECRET-4242"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{key} })
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", key, `{"items":[`+
		`{"type":"function_call","call_id":"call_1","name":"login","arguments":"{\"api_key\":\"`+secret+`\",\"user\":\"ada\"}"},`+
		`{"type":"function_call_output","call_id":"call_1","output":"logged in"},`+
		`{"role":"user","content":"the login's key was `+secret+`"}],`+
		`"metadata":{"note":"login with `+secret+`","topic":"demo"}}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	status, added := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", key, `{"items":[{"role":"user","content":[`+
		`{"type":"input_text","text":"my proxy key is `+key+`"},`+
		`{"type":"input_image","image_url":"data:image/png;base64,`+b64+`"}]}]}`, nil)
	if status != http.StatusOK {
		t.Fatalf("add: %d %s", status, added)
	}
	leaks := func(where, s string) {
		t.Helper()
		for name, v := range map[string]string{"the arguments' secret": secret, "the proxy key": key, "the image's bytes": b64[:32]} {
			if strings.Contains(s, v) {
				t.Errorf("%s holds %s: %s", where, name, s)
			}
		}
	}
	leaks("the added items' answer", added)

	rows := e.db()
	q := `SELECT item FROM conversation_entries WHERE item IS NOT NULL ORDER BY seq`
	rs, err := rows.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for rs.Next() {
		var item string
		if err := rs.Scan(&item); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, item)
	}
	rs.Close()
	all := strings.Join(stored, "\n")
	if len(stored) != 4 {
		t.Fatalf("%d items stored, want 4: %s", len(stored), all)
	}
	leaks("conversation_entries", all)
	if !strings.Contains(stored[0], `\"api_key\":\"[REDACTED]\"`) || !strings.Contains(stored[0], `\"user\":\"ada\"`) ||
		!strings.Contains(stored[2], "the login's key was [REDACTED]") ||
		!strings.Contains(stored[3], "my proxy key is [REDACTED]") || !strings.Contains(stored[3], "sha256:") {
		t.Errorf("the items are not stored as the record keeps them: %s", all)
	}
	var meta string
	if err := rows.QueryRow(strings.Replace(`SELECT metadata FROM conversations WHERE id = ?`, "?", "'"+conv.ID+"'", 1)).Scan(&meta); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(meta, secret) || !strings.Contains(meta, `"topic":"demo"`) || !strings.Contains(meta, `"note":"login with [REDACTED]"`) {
		t.Errorf("the conversation's metadata is stored as %s", meta)
	}

	_, list := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items?order=asc", key, "", nil)
	leaks("GET …/items", list)
	if !strings.Contains(list, `[REDACTED]`) || !strings.Contains(list, "sha256:") {
		t.Errorf("GET …/items: %s", list)
	}

	// The conversation goes on: the items as kept go to Qwen with the
	// next response, the image told as not kept.
	status, answer := convCall(t, e, "POST", "/v1/responses", key, `{"model":"qwen3-vl-plus","input":"go on","conversation":"`+conv.ID+`"}`, nil)
	if status != http.StatusOK || !strings.Contains(answer, "not kept") {
		t.Fatalf("the response after the items: %d %s", status, answer)
	}
	leaks("the answer", answer)
	r := e.lastRow()
	leaks("the request sent to Qwen", r.QwenRequest.String)
	if !strings.Contains(r.QwenRequest.String, "[REDACTED]") {
		t.Errorf("the request sent to Qwen does not carry the items as kept: %s", r.QwenRequest.String)
	}
	_, list = convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items?order=asc", key, "", nil)
	leaks("GET …/items after the response", list)
}

// TestASecretInAToolCallsArgumentsIsNotRecorded: the record of a call whose
// input carries a function call with a secret-named argument (a string of
// JSON, as OpenAI's APIs carry arguments) keeps it [REDACTED], in the
// client's body and in the request sent to Qwen, which renders the call as
// text; a conversation's items are kept alike. Until 2026-12-05 the
// arguments, a string, were recorded as sent.
func TestASecretInAToolCallsArgumentsIsNotRecorded(t *testing.T) {
	const secret = "sk-live-ARGSECRET-777"
	e := start(t, nil)
	for _, c := range []struct{ path, body string }{
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":"log in"},` +
			`{"type":"function_call","call_id":"call_1","name":"login","arguments":"{\"api_key\":\"` + secret + `\"}"},` +
			`{"type":"function_call_output","call_id":"call_1","output":"ok"}]}`},
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"log in"},` +
			`{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"login","arguments":"{\"password\":\"` + secret + `\"}"}}]},` +
			`{"role":"tool","tool_call_id":"call_1","content":"ok"}]}`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		if b := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, b)
		}
		r := e.lastRow()
		for name, b := range map[string]string{"openai_request": r.OpenAIRequest.String, "qwen_request": r.QwenRequest.String,
			"openai_response": r.OpenAIResponse.String, "qwen_response": r.QwenResponse.String} {
			if strings.Contains(b, secret) {
				t.Errorf("%s: the record's %s holds the arguments' secret: %s", c.path, name, b)
			}
		}
		if !strings.Contains(r.OpenAIRequest.String, `[REDACTED]`) {
			t.Errorf("%s: the secret's place is not marked: %s", c.path, r.OpenAIRequest.String)
		}
	}
}

// TestConversationItemsStoredAsSentAreKeptAtStart: a conversation an
// earlier version stored with its items as sent (migration 0035 marks it
// items_kept false) has its items and metadata rewritten as a call's record
// keeps them when the server starts, before any call reads them. On both
// backends.
func TestConversationItemsStoredAsSentAreKeptAtStart(t *testing.T) {
	storetest.EachBackend(t, testConversationItemsStoredAsSentAreKeptAtStart)
}

func testConversationItemsStoredAsSentAreKeptAtStart(t *testing.T, backend string) {
	const secret = "sk-live-OLDSECRET-5151"
	e := startOn(t, backend, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":"hi"}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	asSent := `{"type":"function_call","call_id":"call_1","name":"login","arguments":"{\"api_key\":\"` + secret + `\"}"}`
	image := `{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,` + b64 + `"}]}`
	db := writableDB(t, e)
	for _, q := range []string{
		`UPDATE conversation_entries SET item = '` + asSent + `' WHERE conversation_id = '` + conv.ID + `'`,
		`INSERT INTO conversation_entries (conversation_id, seq, entry_id, created_at, item, response_id) VALUES ('` + conv.ID + `', 2, '01a24760-0000-7000-8000-000000000002', 1, '` + image + `', '')`,
		`UPDATE conversations SET last_seq = 2, metadata = '{"api_key":"` + secret + `"}', items_kept = ` + map[string]string{"sqlite": "0", "postgres": "FALSE"}[backend] + ` WHERE id = '` + conv.ID + `'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	e.restart()
	var items, meta string
	rs, err := db.Query(`SELECT item FROM conversation_entries WHERE conversation_id = '` + conv.ID + `' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var item string
		if err := rs.Scan(&item); err != nil {
			t.Fatal(err)
		}
		items += item + "\n"
	}
	rs.Close()
	if err := db.QueryRow(`SELECT metadata FROM conversations WHERE id = '` + conv.ID + `'`).Scan(&meta); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(items+meta, secret) || strings.Contains(items, b64[:32]) || !strings.Contains(items, `\"api_key\":\"[REDACTED]\"`) ||
		!strings.Contains(items, "sha256:") || !strings.Contains(meta, `"api_key":"[REDACTED]"`) {
		t.Fatalf("after the start, the items are %s and the metadata %s", items, meta)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversations WHERE id = ? AND items_kept = ?`, conv.ID, true); n != 1 {
		t.Fatalf("the conversation is not marked kept")
	}
	_, list := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items", "", "", nil)
	if strings.Contains(list, secret) || strings.Contains(list, b64[:32]) {
		t.Fatalf("GET …/items: %s", list)
	}
}

// writableDB opens the server's database for writing, as another process
// (an earlier version) would.
func writableDB(t *testing.T, e *env) *sql.DB {
	t.Helper()
	if e.cfg.DatabaseURL != "" {
		return e.db()
	}
	db, err := sql.Open("sqlite", "file:"+e.cfg.DatabasePath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConversationItemsKeepImageBytesWhenRecordsDo: with
// RECORD_IMAGE_BYTES=true an image added to a conversation keeps its bytes,
// as records keep them, and the next response attaches it. On both
// backends.
func TestConversationItemsKeepImageBytesWhenRecordsDo(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		e := startOn(t, backend, func(c *config.Config) { c.RecordImageBytes = true })
		b64 := base64.StdEncoding.EncodeToString(testPNG(t))
		var conv convObject
		if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":[{"type":"input_text","text":"look"},`+
			`{"type":"input_image","image_url":"data:image/png;base64,`+b64+`"}]}]}`, &conv); status != http.StatusOK {
			t.Fatalf("create: %d %s", status, b)
		}
		if n := e.count(`SELECT COUNT(*) FROM conversation_entries WHERE item LIKE ?`, "%"+b64+"%"); n != 1 {
			t.Fatalf("the image's bytes are not kept with RECORD_IMAGE_BYTES=true")
		}
		if _, text, _ := convResponse(t, e, `{"model":"qwen3-vl-plus","input":"what is it?","conversation":"`+conv.ID+`"}`); !strings.Contains(text, "I see 1 image") {
			t.Fatalf("the image was not attached: %q", text)
		}
	})
}

// TestConversationImageURLKeptWithoutItsSignatureIsToldAsNotKept: an image
// added to a conversation by a signed URL is kept without its signature (a
// credential), and the next response tells it as not kept rather than fetch
// the URL so, which fails (a 400 invalid_image that left the conversation
// unable to answer until the item was deleted). Sent whole in a response's
// input, the same URL is fetched and seen.
func TestConversationImageURLKeptWithoutItsSignatureIsToldAsNotKept(t *testing.T) {
	pic := testPNG(t)
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("X-Amz-Signature") != "sig-0123456789" {
			http.Error(w, "signature does not match", http.StatusForbidden)
			return
		}
		w.Write(pic)
	}))
	defer images.Close()
	signed := images.URL + "/cat.png?X-Amz-Signature=sig-0123456789"
	e := start(t, func(c *config.Config) { c.AllowImageURLs = "loopback" })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":[{"type":"input_text","text":"look"},`+
		`{"type":"input_image","image_url":"`+signed+`"}]}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversation_entries WHERE item LIKE ?`, "%sig-0123456789%"); n != 0 {
		t.Fatalf("the URL's signature is stored")
	}
	status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"qwen3-vl-plus","input":"what is it?","conversation":"`+conv.ID+`"}`, nil)
	if status != http.StatusOK || !strings.Contains(b, "not kept") {
		t.Fatalf("the response after the item: %d %s", status, b)
	}
	if _, text, _ := convResponse(t, e, `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_text","text":"and this?"},`+
		`{"type":"input_image","image_url":"`+signed+`"}]}],"conversation":"`+conv.ID+`"}`); !strings.Contains(text, "I see 1 image") {
		t.Fatalf("the signed URL in a response's input: %q", text)
	}
}
