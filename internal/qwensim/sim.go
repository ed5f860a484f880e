package qwensim

import (
	"bytes"
	"container/list"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed models.json
var modelsJSON []byte

// thinkingModelJSON is a 2026 model-list entry whose thinking cannot be
// turned off (meta.think_skip.enable false, the qwen3.8 family;
// qwen-2026.md §2.2). The 2026 list serves it after the recorded ones.
//
//go:embed model-thinking-required.json
var thinkingModelJSON []byte

// ThinkingModel is the id of the simulated model that requires thinking.
const ThinkingModel = "qwen3.8-max"

func thinkingRequired(model string) bool { return model == ThinkingModel }

// models2026 is the recorded list with the thinking-required entry and the
// text-only entry (TextOnlyModel) added.
func models2026() []byte {
	list := bytes.TrimSpace(modelsJSON)
	list = bytes.TrimSuffix(list, []byte("]}"))
	out := append(append([]byte{}, list...), ',')
	out = append(out, bytes.TrimSpace(thinkingModelJSON)...)
	out = append(out, ',')
	out = append(out, bytes.TrimSpace(textOnlyModelJSON)...)
	return append(out, "]}"...)
}

// TextOnlyModel is the 2026 list's model without vision or image
// generation (it can think and search).
const TextOnlyModel = "qwq-32b"

//go:embed model-text-only.json
var textOnlyModelJSON []byte

// Options configure a simulator.
type Options struct {
	Format Format
	// PendingParses is how many status polls of a document's parse answer
	// "pending" before its outcome (default 0: parsed at once), as Qwen's
	// parse takes a while.
	PendingParses int
	// SummaryThinking answers thinking requests in the 2026
	// thinking_summary style instead of "think" deltas.
	SummaryThinking bool
	// EventDelay is the think time between stream events (default 0).
	EventDelay time.Duration
	// AnswerWords pads every answer to at least this many words, for
	// realistic stream lengths in benchmarks.
	AnswerWords int
	// ReasoningWords pads a thinking turn's reasoning to at least this
	// many words (it is a dozen words of the question otherwise), for a
	// limit reached while Qwen thinks that is no lower than an API's least
	// (the Responses API's max_output_tokens is at least 16).
	ReasoningWords int
	// Interleave (2026) streams two candidate answers at once, as Qwen
	// sometimes does (qwen-2026.md §3.1): two response.created events
	// (response_index "0" and "1"), then the deltas of both, interleaved,
	// each tagged with its response_id. The second candidate speaks first
	// and carries the usual answer; the first says "Another candidate: …".
	// Each is a whole answer of the turn's kind: it thinks, searches (pages
	// of its own) or draws (a picture of its own) as the turn asks.
	Interleave bool
	// MaxChats bounds the chats kept (0: no bound): past it, the chat used
	// least recently is deleted, as a user deleting old chats in the web UI
	// would, and a completion naming it is answered "not exist".
	// NoCallLog keeps no log of the calls (Calls returns none). Both are for
	// a simulator that serves for long (serve --mock-upstream, benchmarks),
	// whose memory otherwise grows with every call: every body and header
	// is kept, 514 MiB over one benchmark run's 30,000 calls.
	MaxChats  int
	NoCallLog bool
	// OnDeleteChat, when set, hears of each chat deleted through
	// DELETE /api/v2/chats/{id}, after it is gone.
	OnDeleteChat func(chatID string)
}

// Sim is the simulated chat.qwen.ai.
type Sim struct {
	opt Options

	mu    sync.Mutex
	chats map[string]*chat
	// recent orders the chats by last use, most recent first, when
	// opt.MaxChats bounds them; created counts every chat made.
	recent  *list.List
	created int
	faults  []Fault
	calls   []Call
	// generating are the answers that go on after their callers left
	// (Fault.KeepsGenerating), until EndGenerations.
	generating []*turn
	files      fileStore

	accounts *accountBook // signed-in users (accounts.go)
}

// Call is one request the simulator received, for tests to inspect.
type Call struct {
	Endpoint string
	ChatID   string
	Body     []byte
	HasToken bool        // bx-umidtoken header present
	Header   http.Header // as received
}

type chat struct {
	id       string
	model    string
	nodes    map[string]*node
	busy     bool
	tools    []string // functions described in the chat's system prompt
	told     string   // the newest of those descriptions, for their argument schemas
	stubborn bool     // never answers with a call
	// plan is the steps of the user's plan still to take (plan.go) for the
	// turn being answered: read from its thread, kept with its answer.
	plan []string
	// outgrown: the chat answered ContextLengthExceeded. Qwen keeps the
	// thread server-side and a continuation only adds to it, so every
	// later turn of the chat is too long as well (inferred: a thread
	// cannot shrink; no capture shows a chat after the error).
	outgrown bool
	use      *list.Element // in Sim.recent, when chats are bounded
}

type node struct {
	id, parent, role, content string
	// tokens are what the node adds to the thread's usage: a user
	// message's words as sent, an answer's output without its thinking.
	tokens int
	// plan is what an answer left of its user's plan (plan.go).
	plan []string
}

// New returns a simulator.
func New(opt Options) *Sim {
	return &Sim{opt: opt, chats: map[string]*chat{}, recent: list.New(), accounts: newAccountBook()}
}

// Inject queues faults; each applies to the next matching call(s).
func (s *Sim) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		if f.Times <= 0 {
			f.Times = 1
		}
		s.faults = append(s.faults, f)
	}
}

// ClearFaults drops the faults not yet taken and returns how many calls
// they would have taken: a fault injected with a large Times, from outside
// (POST /__sim/faults), otherwise took calls until the simulator restarted.
func (s *Sim) ClearFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.Times
	}
	s.faults = nil
	return n
}

// Calls returns the requests received so far.
func (s *Sim) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ForgetChats deletes every chat, as a user deleting them in the web UI (or
// a restart of the simulator) would: their ids are then unknown.
func (s *Sim) ForgetChats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.chats {
		s.chats[id] = nil
	}
	s.recent.Init()
}

// Chats is the number of chats created.
func (s *Sim) Chats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// addChat keeps c, deleting the chat used least recently when that makes
// more than opt.MaxChats. The caller holds s.mu.
func (s *Sim) addChat(c *chat) {
	s.chats[c.id] = c
	s.created++
	if s.opt.MaxChats <= 0 {
		return
	}
	c.use = s.recent.PushFront(c)
	for s.recent.Len() > s.opt.MaxChats {
		old := s.recent.Remove(s.recent.Back()).(*chat)
		delete(s.chats, old.id)
		s.disown(old.id)
	}
}

// usedChat returns the chat id names (nil if there is none) and, when chats
// are bounded, marks it the most recently used. The caller holds s.mu.
func (s *Sim) usedChat(id string) *chat {
	c := s.chats[id]
	if c != nil && c.use != nil {
		s.recent.MoveToFront(c.use)
	}
	return c
}

// takeFault returns the first queued fault for endpoint, if any.
func (s *Sim) takeFault(endpoint string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		if s.faults[i].endpoint() != endpoint {
			continue
		}
		f := s.faults[i]
		s.faults[i].Times--
		if s.faults[i].Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &f
	}
	return nil
}

func (s *Sim) call(endpoint, chatID string, body []byte, r *http.Request) Call {
	return Call{Endpoint: endpoint, ChatID: chatID, Body: body, HasToken: r.Header.Get("bx-umidtoken") != "", Header: r.Header.Clone()}
}

func (s *Sim) record(c Call) {
	if s.opt.NoCallLog {
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

// Handler serves the simulated API, plus POST /__sim/faults (a JSON list of
// Fault) so that tests driving a separate process can inject faults,
// DELETE /__sim/faults (ClearFaults) and POST /__sim/end-generations
// (EndGenerations).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/chats/new", s.newChat)
	mux.HandleFunc("POST /api/v2/chat/completions", s.completions)
	mux.HandleFunc("DELETE /api/v2/chats/{id}", s.deleteChat)
	mux.HandleFunc("GET /api/models", s.models)
	mux.HandleFunc("GET /api/v2/models/", s.models)
	mux.HandleFunc("POST /__sim/faults", s.injectHTTP)
	mux.HandleFunc("DELETE /__sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"cleared\":%d}\n", s.ClearFaults())
	})
	mux.HandleFunc("POST /__sim/end-generations", func(w http.ResponseWriter, _ *http.Request) {
		s.EndGenerations()
		w.WriteHeader(http.StatusNoContent)
	})
	s.handleFiles(mux)
	mux.HandleFunc("POST /api/v1/auths/signin", s.signIn)
	mux.HandleFunc("POST /__sim/accounts", s.accountsHTTP)
	return mux
}

func (s *Sim) injectHTTP(w http.ResponseWriter, r *http.Request) {
	var list []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
		http.Error(w, "faults must be a JSON array: "+err.Error(), http.StatusBadRequest)
		return
	}
	// Each read alone, so that a wrong field is said as such: the whole
	// list's error read "faults must be a JSON array" of an array.
	faults := make([]Fault, len(list))
	for i, raw := range list {
		if err := json.Unmarshal(raw, &faults[i]); err != nil {
			http.Error(w, fmt.Sprintf("fault %d: %v", i+1, err), http.StatusBadRequest)
			return
		}
	}
	s.Inject(faults...)
	w.WriteHeader(http.StatusNoContent)
}

// applyFault answers with f's failure and reports whether it did. Faults that
// act mid-stream are left to the completion handler.
func (s *Sim) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f == nil {
		return false
	}
	if f.Reached != nil {
		select {
		case f.Reached <- struct{}{}:
		default:
		}
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	// A page answers with HTTP 200, as Qwen's firewall and gateways serve
	// them, or with the Status given beside it (a WAF page with 403).
	page := func(contentType, body string) {
		w.Header().Set("Content-Type", contentType)
		if f.Status != 0 {
			w.WriteHeader(f.Status)
		}
		fmt.Fprint(w, body)
	}
	switch {
	case f.Firewall:
		page("text/html; charset=utf-8", firewallPage)
	case f.RiskControl && f.InStream:
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Write(frame([]byte(RiskControlBody)))
	case f.RiskControl:
		page("application/json", RiskControlBody)
	case f.GatewayTimeout:
		page("text/html", gatewayTimeoutPage)
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", string(f.RetryAfter))
		}
		http.Error(w, http.StatusText(f.Status), f.Status)
	case f.DoneOnly:
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		fmt.Fprint(w, "data: [DONE]\n\n")
	case f.BadJSON:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"success": tru`)
	case f.Envelope != "" && f.InStream:
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		if f.ActualStatus != 0 {
			// A stream's logical status, as Qwen gives it ("HTTP 200 for
			// streaming even if logical error", qwen-wire.md §5, S10).
			// Without one the stream carries none: no capture of the
			// in-stream envelope shows its headers (S3's fixture).
			w.Header().Set("X-Actual-Status-Code", strconv.Itoa(f.ActualStatus))
		}
		w.Write(frame(envelope(f)))
	case f.Envelope != "":
		actual := f.ActualStatus
		if actual == 0 {
			actual = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Actual-Status-Code", strconv.Itoa(actual))
		w.Write(envelope(f))
	default:
		return false
	}
	return true
}

func envelope(f *Fault) []byte {
	data := map[string]any{"code": f.Envelope, "details": f.Details}
	if f.Template != "" {
		data["template"] = f.Template
	}
	if f.Num > 0 {
		data["num"] = f.Num
	}
	b, _ := json.Marshal(map[string]any{"success": false, "request_id": newID(), "data": data})
	return b
}

const firewallPage = `<!doctype html><html><head><meta charset="utf-8"><title>Verification</title></head>` +
	`<body><div id="nc_1_n1z"></div><script>var aliyun_waf_aa = "challenge";</script></body></html>`

func (s *Sim) newChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Models   []string `json:"models"`
		ChatType string   `json:"chat_type"`
		ChatMode string   `json:"chat_mode"`
	}
	body, _ := readBody(r)
	s.record(s.call(EndpointNewChat, "", body, r))
	if s.applyFault(w, r, s.takeFault(EndpointNewChat)) {
		return
	}
	who, ok := s.checkRequest(w, r, true)
	if !ok {
		return
	}
	account, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Models) == 0 {
		writeEnvelope(w, CodeBadRequest, "Field 'models': Field required", http.StatusBadRequest)
		return
	}
	if s.opt.Format == Format2026 {
		if code, details := who.checkChatMode(req.ChatMode); code != "" {
			writeEnvelope(w, code, details, http.StatusBadRequest)
			return
		}
	}
	for _, m := range req.Models {
		if !s.listed(m) {
			writeEnvelope(w, CodeBadRequest, UnknownModel, http.StatusBadRequest)
			return
		}
	}
	c := &chat{id: newID(), model: req.Models[0], nodes: map[string]*node{}}
	s.own(c.id, account) // before the chat is kept: keeping it may delete it
	s.mu.Lock()
	s.addChat(c)
	s.mu.Unlock()
	jsonAnswer(w)
	fmt.Fprintf(w, `{"success":true,"request_id":%q,"data":{"id":%q}}`, newID(), c.id)
}

// listed reports whether the model list the simulator serves (in its
// format) has model, as Qwen answers only the models it lists.
func (s *Sim) listed(model string) bool {
	ids := listedIDs2025
	if s.opt.Format == Format2026 {
		ids = listedIDs2026
	}
	return slices.Contains(ids(), model)
}

// listedIDs2025 and listedIDs2026 are the ids of each format's model list.
var (
	listedIDs2025 = sync.OnceValue(func() []string { return modelIDs(modelsJSON) })
	listedIDs2026 = sync.OnceValue(func() []string { return modelIDs(models2026()) })
)

func modelIDs(list []byte) []string {
	var v struct {
		Data []struct {
			ID   string `json:"id"`
			Info struct {
				IsActive bool `json:"is_active"`
			} `json:"info"`
		} `json:"data"`
	}
	if err := json.Unmarshal(list, &v); err != nil {
		panic("qwensim: the embedded model list does not parse: " + err.Error())
	}
	var ids []string
	for _, m := range v.Data {
		if m.Info.IsActive {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func (s *Sim) models(w http.ResponseWriter, r *http.Request) {
	s.record(s.call(EndpointModels, "", nil, r))
	if s.applyFault(w, r, s.takeFault(EndpointModels)) {
		return
	}
	if _, ok := s.checkRequest(w, r, false); !ok {
		return
	}
	list := modelsJSON
	if s.opt.Format == Format2026 {
		list = models2026()
	}
	jsonAnswer(w)
	if strings.HasPrefix(r.URL.Path, "/api/v2/") {
		fmt.Fprintf(w, `{"success":true,"request_id":%q,"data":%s}`, newID(), list)
		return
	}
	// The 2025 path still serves the bare list in 2026: a working peer of
	// August 2026 reads it there ({"data":[…]}, the meta's think_skip
	// among it: Qwen2API's models-map.js, qwen-2026.md §2.2).
	w.Write(list)
}

// jsonAnswer sets the headers of a successful JSON answer: Qwen gives
// every answer its logical status in x-actual-status-code (qwen-wire.md §5:
// S7 shows it on every response), a success's too.
func jsonAnswer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Actual-Status-Code", "200")
}

func writeEnvelope(w http.ResponseWriter, code, details string, actual int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Actual-Status-Code", strconv.Itoa(actual))
	w.Write(envelope(&Fault{Envelope: code, Details: details}))
}

func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 32<<20))
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Server is a simulator listening on loopback.
type Server struct {
	*Sim
	URL string
	srv *http.Server
}

// Start serves a new simulator on 127.0.0.1 at a free port.
func Start(opt Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start qwen simulator: %w", err)
	}
	sim := New(opt)
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &Server{Sim: sim, URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// Close stops the simulator, ending streams in progress.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	return s.srv.Close()
}
