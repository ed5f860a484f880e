package qwensim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// completionRequest is what the simulator reads of a completion body.
type completionRequest struct {
	Stream bool `json:"stream"`
	// IncrementalOutput false asks for the whole text so far on every
	// event (see encoder.cumulative); absent, the simulator answers
	// incrementally, as its own tests' bodies leave it out.
	IncrementalOutput *bool   `json:"incremental_output"`
	ChatID            string  `json:"chat_id"`
	ChatMode          string  `json:"chat_mode"`
	Model             string  `json:"model"`
	ParentID          *string `json:"parent_id"`
	Messages          []struct {
		Role          string  `json:"role"`
		Content       string  `json:"content"`
		ParentID      *string `json:"parent_id"`
		FeatureConfig struct {
			ThinkingEnabled bool   `json:"thinking_enabled"`
			OutputSchema    string `json:"output_schema"`
			AutoSearch      bool   `json:"auto_search"`
		} `json:"feature_config"`
		ChatType string        `json:"chat_type"`
		Files    []messageFile `json:"files"`
	} `json:"messages"`
}

// turn is one accepted completion: the nodes it adds and what to answer.
type turn struct {
	chat              *chat
	userID, answerID  string
	answer, reasoning string
	inputTokens       int
	// sources are the web search's results (chat_type search), query
	// what it searched for; image is the generated image's URL (chat_type
	// t2i or image_edit).
	sources []source
	query   string
	image   string
	// phased: the message asked for output_schema "phase".
	phased bool
	// cumulative: the request asked for incremental_output false.
	cumulative bool
	// tooLong: the turn continues an outgrown chat.
	tooLong  bool
	released bool // guarded by Sim.mu
}

func (s *Sim) completions(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	chatID := r.URL.Query().Get("chat_id")
	s.record(s.call(EndpointCompletions, chatID, body, r))
	fault := s.takeFault(EndpointCompletions)
	if s.applyFault(w, r, fault) {
		return
	}
	who, ok := s.checkRequest(w, r, true)
	if !ok {
		return
	}
	account, ok := s.accountOf(w, r)
	if !ok || s.rateLimited(w, account) {
		return
	}
	if !s.owns(chatID, account) {
		writeEnvelope(w, CodeNotFound, "Chat not found", http.StatusNotFound)
		return
	}
	var req completionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeEnvelope(w, CodeBadRequest, "Invalid JSON body", http.StatusBadRequest)
		return
	}
	code, details := s.check2026(who, &req)
	if code == "" && req.Model != "" && !s.listed(req.Model) {
		code, details = CodeBadRequest, UnknownModel
	}
	var t *turn
	if code == "" {
		t, code, details = s.accept(chatID, &req)
	}
	if code != "" {
		status := http.StatusBadRequest
		if code == CodeNotFound {
			status = http.StatusNotFound
		}
		writeEnvelope(w, code, details, status)
		return
	}
	defer func() {
		if fault != nil && fault.KeepsGenerating && !s.isReleased(t) {
			s.keepGenerating(t) // the caller left; Qwen goes on
			return
		}
		s.release(t)
	}()
	if !req.Stream {
		s.release(t)
		s.answerJSON(w, t)
		return
	}
	s.stream(w, r, t, fault)
}

// accept validates a completion against the chat tree and adds its nodes.
// It returns an error code and details when Qwen would refuse it.
func (s *Sim) accept(chatID string, req *completionRequest) (*turn, string, string) {
	switch {
	case chatID == "":
		return nil, CodeBadRequest, "Field 'query -> chat_id': Field required"
	case req.ChatID == "":
		return nil, CodeBadRequest, "Field 'chat_id': Field required"
	case req.ChatID != chatID:
		return nil, CodeBadRequest, "chat_id in the query and the body differ"
	case len(req.Messages) == 0:
		return nil, CodeBadRequest, "Field 'messages': Field required"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.usedChat(chatID)
	if c == nil {
		return nil, CodeNotFound, "Chat " + chatID + " is not exist."
	}
	if c.busy {
		return nil, CodeBadRequest, ChatInProgress
	}
	parent := ""
	if req.ParentID != nil {
		parent = *req.ParentID
		if c.nodes[parent] == nil {
			return nil, CodeBadRequest, "Invalid input chat parent_id " + parent + " is not exist."
		}
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "system" {
		return nil, CodeBadRequest, "the last message must not be a system message"
	}
	for _, m := range req.Messages {
		mp := ""
		if m.ParentID != nil {
			mp = *m.ParentID
		}
		if m.Role != "system" && mp != parent {
			return nil, CodeBadRequest, "message parent_id does not match the request's parent_id"
		}
	}
	t := &turn{chat: c, userID: newID(), answerID: newID(), tooLong: c.outgrown}
	var system []string
	sent := 0 // the tokens this turn adds to the thread
	for _, m := range req.Messages {
		sent += len(strings.Fields(m.Content))
		if m.Role == "system" { // 2025: a separate system message
			system = append(system, m.Content)
			c.tools = append(c.tools, declaredTools(m.Content)...)
			c.told += m.Content
		}
	}
	if last.ChatType == chatTypeImageEdit && len(last.Files) == 0 {
		return nil, CodeBadRequest, noImageToEdit
	}
	seen, texts, code, details := s.seeFiles(last.Files)
	if code != "" {
		return nil, code, details
	}
	for _, text := range texts { // read with the message, so counted with it
		sent += len(strings.Fields(text))
	}
	// The model reads an attached text document with the message, before
	// it: a conversation the proxy uploaded whole (its system section
	// included) is read as if it had been sent inline.
	content := last.Content
	switch {
	case len(texts) > 0 && strings.HasPrefix(content, contextAttachment):
		// The proxy's prompt for a turn it sent as a document: a notice
		// and the document's last part, which the model has read there
		// (a plan at its end is one plan, not two).
		content = strings.Join(texts, "\n\n")
	case len(texts) > 0:
		content = strings.Join(append(texts, content), "\n\n")
	}
	told, words, ok := unfold(content)
	if ok {
		// The model follows the newest statement of its instructions.
		system = append(system, told)
		c.tools = declaredTools(told)
		c.told = told
	}
	// The model reads the thread the message hangs under, and its usage
	// counts it: input_tokens are the thread's and the message's.
	t.inputTokens = threadTokens(c, parent) + sent
	c.nodes[t.userID] = &node{id: t.userID, parent: parent, role: last.Role, content: words, tokens: sent}
	c.plan = threadPlan(c, parent)
	if calls, ok := toolAnswer(c, words); ok {
		t.answer = calls
	} else if cont, ok := prefillAnswer(words); ok {
		t.answer = cont
	} else if js, ok := formatAnswer(c, t.userID); ok {
		t.answer = js
	} else {
		t.answer = s.compose(c, t.userID, system)
	}
	t.phased = last.FeatureConfig.OutputSchema == "phase"
	t.cumulative = req.IncrementalOutput != nil && !*req.IncrementalOutput
	if last.FeatureConfig.ThinkingEnabled {
		t.reasoning = "Considering the request: " + firstWords(words, 12)
		for i := 0; len(strings.Fields(t.reasoning)) < s.opt.ReasoningWords; i++ {
			t.reasoning += fmt.Sprintf(" Thought number %d weighs it further.", i+1)
		}
	}
	t.answer += seen
	switch {
	case last.ChatType == chatTypeSearch, last.ChatType != chatTypeImage && last.ChatType != chatTypeImageEdit && last.FeatureConfig.AutoSearch && seesNeedToSearch(words):
		t.sources, t.query = searchResults(words), firstWords(words, 6)
	case last.ChatType == chatTypeImage:
		t.image, t.answer = s.generate(words), ""
	case last.ChatType == chatTypeImageEdit: // answered as t2i is (qwen-2026.md §4)
		t.image, t.answer = s.edit(words, last.Files), ""
	}
	c.nodes[t.answerID] = &node{id: t.answerID, parent: t.userID, role: "assistant", content: t.answer, tokens: answerTokens(t), plan: c.plan}
	c.busy = true
	return t, "", ""
}

// threadTokens are the tokens of the thread ending at id, its messages'
// and its answers', as Qwen's model reads a continuation's context: the
// chat kept server-side, the request carrying the new message alone
// (qwen-2026.md §2). Inferred: the recordings show a chat's first turn
// only (input_tokens 33, for what looks like the five-word prompt of the
// recorded requests: Qwen counts more than the words sent), and the 2026
// usage's prompt_tokens_details counting cached tokens fits a context
// read again each turn.
func threadTokens(c *chat, id string) int {
	n := 0
	for ; id != ""; id = c.nodes[id].parent {
		n += c.nodes[id].tokens
	}
	return n
}

// answerTokens are what an answer adds to its thread: its output as the
// stream counts it (a piece a token; an image's URL one), without its
// thinking, which a model is not given back (inferred, as most chat
// templates drop it).
func answerTokens(t *turn) int {
	if t.image != "" {
		return 1
	}
	n := 0
	for i := 1; i < len(t.answer); i++ { // pieces' count, without the pieces
		if t.answer[i] == ' ' && t.answer[i-1] != ' ' {
			n++
		}
	}
	if t.answer != "" {
		n++
	}
	return n
}

// check2026 applies the 2026 body rules: one message, streamed, the chat
// mode of the credentials, thinking on for models that require it.
func (s *Sim) check2026(who caller, req *completionRequest) (code, details string) {
	if s.opt.Format != Format2026 {
		return "", ""
	}
	if len(req.Messages) > 1 {
		return CodeBadRequest, TooManyMessages
	}
	if !req.Stream {
		// "upstream doesn't support stream=false" (qwen-2026.md §2.2;
		// qwen-wire.md §4.1, S6); only video (t2v, not simulated) is
		// answered so.
		return CodeBadRequest, StreamRequired
	}
	if code, details := who.checkChatMode(req.ChatMode); code != "" {
		return code, details
	}
	if len(req.Messages) == 1 && thinkingRequired(req.Model) && !req.Messages[0].FeatureConfig.ThinkingEnabled {
		return CodeBadRequest, "invalid_input: thinking_enabled must be true for " + req.Model
	}
	return "", ""
}

// unfold splits a message into the system section the proxy folds into it
// (between its markers) and the rest, the user's words.
func unfold(content string) (system, words string, ok bool) {
	const open, end = "[System instructions]\n", "\n[End of system instructions]"
	rest, found := strings.CutPrefix(content, open)
	if !found {
		return "", content, false
	}
	i := strings.Index(rest, end)
	if i < 0 {
		return "", content, false
	}
	return rest[:i], strings.TrimLeft(rest[i+len(end):], "\n"), true
}

// isReleased reports whether t's chat was freed (its answer ended).
func (s *Sim) isReleased(t *turn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.released
}

// keepGenerating leaves t's chat in progress after its caller left, until
// EndGenerations.
func (s *Sim) keepGenerating(t *turn) {
	s.mu.Lock()
	s.generating = append(s.generating, t)
	s.mu.Unlock()
}

// EndGenerations ends the answers that went on after their callers left
// (Fault.KeepsGenerating): their chats take completions again.
func (s *Sim) EndGenerations() {
	s.mu.Lock()
	ended := s.generating
	s.generating = nil
	s.mu.Unlock()
	for _, t := range ended {
		s.release(t)
	}
}

// release frees the chat for its next turn, once. It runs before the last
// event is sent, as Qwen has finished the answer by then: a client that
// reads the end and asks again at once must not find the chat busy.
func (s *Sim) release(t *turn) {
	s.mu.Lock()
	if !t.released {
		t.released, t.chat.busy = true, false
	}
	s.mu.Unlock()
}

// compose answers deterministically from the thread: it repeats the newest
// user message and every earlier user message on the parent chain, and
// counts the answers on it, so a test can tell whether the proxy threaded
// the conversation, and whether under the answers (a turn hung under the
// previous user message leaves the model's own answers out of its thread).
func (s *Sim) compose(c *chat, userID string, system []string) string {
	var users []string
	answers := 0
	for id := userID; id != ""; id = c.nodes[id].parent {
		switch n := c.nodes[id]; n.role {
		case "user":
			users = append([]string{n.content}, users...)
		case "assistant":
			answers++
		}
	}
	if len(users) == 0 {
		// A thread of no user message (an assistant or other role's
		// message alone): answer to what was sent.
		users = []string{c.nodes[userID].content}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "You said: %q.", excerpt(users[len(users)-1]))
	if len(users) > 1 {
		b.WriteString(" Earlier you said:")
		for i, u := range users[:len(users)-1] {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %q", excerpt(u))
		}
		b.WriteString(".")
	}
	if answers > 0 {
		fmt.Fprintf(&b, " Earlier answers of mine: %d.", answers)
	}
	if len(system) > 0 {
		fmt.Fprintf(&b, " System prompt: %q.", excerpt(strings.Join(system, " ")))
	}
	// Counted once, then by the filler's words (each sentence adds eight):
	// counting the whole answer again each sentence was quadratic.
	for i, words := 0, len(strings.Fields(b.String())); words < s.opt.AnswerWords; i++ {
		fmt.Fprintf(&b, " Filler sentence number %d keeps the answer long.", i+1)
		words += fillerWords
	}
	return b.String()
}

// fillerWords is the number of words of compose's filler sentence.
const fillerWords = 8

// maxExcerpt bounds what an answer quotes of one prompt, in characters: a
// model summarises a coding agent's 65 KB system prompt, it does not recite
// it (and a recited one is full of markup that looks like calls).
const maxExcerpt = 400

// contextAttachment opens the inline prompt the proxy sends with a turn it
// uploaded as a text document (CONTEXT_FILE_BYTES): a notice, then the
// document's last part.
const contextAttachment = "[Context attachment]\n"

// excerpt is s, or its first maxExcerpt characters and how many were left
// out.
func excerpt(s string) string {
	r := []rune(s)
	if len(r) <= maxExcerpt {
		return s
	}
	return fmt.Sprintf("%s… (%d more characters)", string(r[:maxExcerpt]), len(r)-maxExcerpt)
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

// pieces splits text into stream increments: words with their leading space.
func pieces(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// answerJSON is the 2025 non-streamed answer, pretty-printed as recorded
// (Format2025 only: 2026 refuses stream:false, see check2026).
func (s *Sim) answerJSON(w http.ResponseWriter, t *turn) {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	type choice struct {
		Message message `json:"message"`
	}
	resp := struct {
		Success   bool   `json:"success"`
		RequestID string `json:"request_id"`
		Data      struct {
			ChatID    string   `json:"chat_id"`
			ParentID  string   `json:"parent_id"`
			MessageID string   `json:"message_id"`
			Messages  any      `json:"messages"`
			Choices   []choice `json:"choices"`
		} `json:"data"`
	}{Success: true, RequestID: newID()}
	resp.Data.ParentID, resp.Data.MessageID = t.userID, t.answerID
	resp.Data.Choices = []choice{{Message: message{Role: "assistant", Content: t.answer}}}
	b, _ := json.MarshalIndent(resp, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// stream sends the answer as Qwen's event stream, applying mid-stream faults.
func (s *Sim) stream(w http.ResponseWriter, r *http.Request, t *turn, f *Fault) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Actual-Status-Code", "200")
	rc := http.NewResponseController(w)
	enc := &encoder{format: s.opt.Format, responseID: t.answerID, now: time.Now, phaseless: s.opt.Format == Format2026 && !t.phased, cumulative: t.cumulative}
	send := func(b []byte) bool {
		if s.opt.EventDelay > 0 {
			tm := time.NewTimer(s.opt.EventDelay)
			select {
			case <-tm.C:
			case <-r.Context().Done():
				tm.Stop()
				return false
			}
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if (s.opt.Interleave || f != nil && f.Interleave) && s.opt.Format == Format2026 {
		s.streamCandidates(send, enc, t, r.Host)
		return
	}
	if !send(enc.created(t.chat.id, t.userID)) {
		return
	}
	u := usage{input: t.inputTokens}
	if f != nil && f.ContextTooLong || t.tooLong {
		s.mu.Lock()
		t.chat.outgrown = true
		s.mu.Unlock()
		s.release(t)
		send(frame([]byte(`{"error": {"code": "ContextLengthExceeded"}, "response_id": "` + t.answerID + `"}`)))
		return
	}
	if f != nil && f.ThinkOnly {
		s.sendReasoning(send, enc, &turn{reasoning: "Thinking about it: no answer follows"}, &u, f)
		return // the stream ends without an answer phase
	}
	if t.reasoning != "" && !s.sendReasoning(send, enc, t, &u, f) {
		return
	}
	if f != nil && f.EmptyAnswer {
		s.release(t)
		send(enc.finished("answer"))
		return
	}
	if t.image != "" {
		s.sendImage(send, enc, t, r, &u, f)
		return
	}
	if len(t.sources) > 0 && !s.sendSearch(send, enc, t) {
		return
	}
	for i, p := range pieces(t.answer) {
		if interrupt(f, i, send, r, t) {
			return
		}
		if f != nil && i == 1 && (f.BigEvent > 0 || f.Unterminated > 0 || f.Endless) {
			s.misbehave(send, enc, f, u)
			return
		}
		u.output++
		if !send(enc.typing("answer", p, u)) {
			return
		}
	}
	s.release(t)
	send(enc.finished("answer"))
}

// streamCandidates sends two interleaved candidate answers: the second
// (this turn's answer node) speaks first, the first says something else.
// Both are answers of the chat, under the same user message, as the two
// response_ids Qwen gives them say (qwen-2026.md §3.1): a next turn may
// hang under either. Each is a whole answer of the turn's kind, as one
// answer's stream is: its thinking, its search, then its image (a picture
// of its own) or its text.
func (s *Sim) streamCandidates(send func([]byte) bool, enc *encoder, t *turn, host string) {
	other := &encoder{format: enc.format, responseID: newID(), index: "0", now: enc.now, phaseless: enc.phaseless, cumulative: enc.cumulative}
	enc.index = "1"
	// The other candidate thinks as this one does, and finds pages and
	// draws a picture of its own, so that a client mixing the two shows.
	alt := &turn{chat: t.chat, inputTokens: t.inputTokens, reasoning: t.reasoning, answer: "Another candidate: " + t.answer}
	if len(t.sources) > 0 {
		alt.query = "another candidate's " + t.query
		alt.sources = searchResults(alt.query)
	}
	if t.image != "" {
		alt.answer, alt.image = "", s.generate("another candidate of "+t.image)
	}
	s.mu.Lock()
	t.chat.nodes[other.responseID] = &node{id: other.responseID, parent: t.userID, role: "assistant", content: alt.answer, tokens: answerTokens(alt), plan: t.chat.nodes[t.answerID].plan}
	s.mu.Unlock()
	if !send(other.created(t.chat.id, t.userID)) || !send(enc.created(t.chat.id, t.userID)) {
		return
	}
	mine, theirs := s.candidateFrames(enc, t, host), s.candidateFrames(other, alt, host)
	// Each candidate's last event finishes it: the two finish once both
	// have said everything, the first candidate first.
	for i := 0; i < max(len(mine), len(theirs))-1; i++ {
		if i < len(mine)-1 && !send(mine[i]) {
			return
		}
		if i < len(theirs)-1 && !send(theirs[i]) {
			return
		}
	}
	s.release(t)
	if send(theirs[len(theirs)-1]) {
		send(mine[len(mine)-1])
	}
}

// candidateFrames are the events of candidate c after its
// response.created, as stream sends one answer's without faults: the
// thinking when c has any, then the image's (a keep-alive, the URL, the
// phase finished), or the search when c searched and the answer's deltas
// and their finish. The last is always the event that finishes c.
func (s *Sim) candidateFrames(enc *encoder, c *turn, host string) [][]byte {
	var out [][]byte
	collect := func(b []byte) bool {
		out = append(out, b)
		return true
	}
	u := usage{input: c.inputTokens}
	if c.reasoning != "" {
		s.sendReasoning(collect, enc, c, &u, nil) // in the simulator's own style
	}
	if c.image != "" {
		u.output++
		return append(out, enc.keepAlive(c.chat.id), enc.typing("image_gen", "http://"+host+c.image, u), enc.finished("image_gen"))
	}
	if len(c.sources) > 0 {
		s.sendSearch(collect, enc, c)
	}
	for _, p := range pieces(c.answer) {
		u.output++
		out = append(out, enc.typing("answer", p, u))
	}
	return append(out, enc.finished("answer"))
}

// interrupt plays f's break at the answer's event i (CutAfter, StallAfter,
// ErrorAfter: see Fault) and reports whether the stream is over.
func interrupt(f *Fault, i int, send func([]byte) bool, r *http.Request, t *turn) bool {
	switch {
	case f == nil:
		return false
	case f.CutAfter > 0 && i == f.CutAfter:
		panic(http.ErrAbortHandler) // drop the connection mid-stream
	case f.StallAfter > 0 && i == f.StallAfter:
		<-r.Context().Done()
		return true
	case f.ErrorAfter > 0 && i == f.ErrorAfter:
		send(frame([]byte(`{"error": {"code": "Too_Many_Requests", "details": "please slow down"}, "response_id": "` + t.answerID + `"}`)))
		return true
	case f.Frame != "" && i == f.FrameAfter:
		send(frame([]byte(f.Frame)))
		return true
	}
	return false
}

// sendReasoning sends the thinking: as think deltas, as the 2026 summary
// (Options.SummaryThinking, or the fault f's), or as phase-less
// reasoning_content deltas (f's).
func (s *Sim) sendReasoning(send func([]byte) bool, enc *encoder, t *turn, u *usage, f *Fault) bool {
	if f != nil && f.ReasoningContent {
		for _, p := range pieces(t.reasoning) {
			u.output++
			u.reasoning++
			if !send(enc.reasoningContent(p, *u)) {
				return false
			}
		}
		return true
	}
	if !s.opt.SummaryThinking && (f == nil || !f.SummaryThinking) {
		for _, p := range pieces(t.reasoning) {
			u.output++
			u.reasoning++
			if !send(enc.typing("think", p, *u)) {
				return false
			}
		}
		return send(enc.finished("think"))
	}
	// The 2026 summary style resends the whole list of paragraphs each
	// time, the paragraph being written growing in place (as the 2026
	// clients read it: the text so far, extended): each is sent half
	// written, then whole.
	paragraphs := []string{}
	for _, sentence := range strings.SplitAfter(t.reasoning, ": ") {
		words := strings.Fields(sentence)
		if len(words) == 0 {
			continue
		}
		half := len(words) / 2
		paragraphs = append(paragraphs, "")
		for _, upto := range []int{half, len(words)} {
			if upto == 0 {
				continue
			}
			grown := upto - len(strings.Fields(paragraphs[len(paragraphs)-1]))
			paragraphs[len(paragraphs)-1] = strings.Join(words[:upto], " ")
			u.output += grown
			u.reasoning += grown
			uu := *u
			if !send(enc.summary(paragraphs, "typing", &uu)) {
				return false
			}
		}
	}
	return send(enc.summary(paragraphs, "finished", nil))
}

// misbehave plays an upstream without limits (see Fault.BigEvent,
// Unterminated, Endless); it returns when done or the caller left.
func (s *Sim) misbehave(send func([]byte) bool, enc *encoder, f *Fault, u usage) {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	switch {
	case f.BigEvent > 0:
		big := enc.typing("answer", strings.Repeat("x", f.BigEvent), u)
		for send(big) {
			if !f.Endless {
				return
			}
		}
	case f.Unterminated > 0:
		if !send([]byte("data: ")) {
			return
		}
		for left := f.Unterminated; left > 0; left -= len(chunk) {
			if !send(chunk[:min(left, len(chunk))]) {
				return
			}
		}
	case f.Endless:
		// Slowly, as a stuck generation would: never idle long enough for
		// an idle timeout, never big enough for a size bound.
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			if !send(enc.typing("answer", " more", u)) {
				return
			}
		}
	}
}
