package translate

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"qwenproxy/internal/jsonw"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// Answer accumulates one upstream answer from its stream events.
type Answer struct {
	Created   qwen.Created
	content   Text
	reasoning Text
	usage     qwen.Usage
	hasUsage  bool
	Finished  bool
	Events    int
	// StopSequence is the stop sequence that ended the answer the client
	// got, "" when none did (the upstream answer itself is read whole).
	StopSequence string
	phases       []string // the phases that arrived, in order, each once
	// sources are the web search's results (web_search phase), deduplicated
	// by URL, at most maxSources.
	sources []qwen.Source
	// searches are the web searches Qwen made for the answer, in order
	// (at most maxSearches), each with the sources it found.
	searches []Search
	// image is the generated image's URL (image_gen phase); imageDone once
	// that phase finished.
	image     string
	imageDone bool
	// Citations are the answer's sources as the client gets them, with
	// where each is cited in the answer text (set by the server once the
	// source list is written).
	Citations []Citation
	// Limit is the client's bound on output tokens (max_tokens,
	// max_completion_tokens, max_output_tokens), 0 for none: Qwen's web
	// API takes none, so the answer the client gets ends with the event at
	// which Qwen's count of output tokens (thinking included, as OpenAI
	// and Anthropic count it) reaches it. Qwen's answer is still read to
	// its end (a completion cut short leaves its chat "in progress",
	// qwen-wire.md §4.4): Add passes nothing of it after the cut.
	Limit int
	// cut is set once the answer reached Limit; cutUsage is the usage at
	// that event, what the client is told; spilled, once Qwen's answer
	// went on past it (an answer that ended where it reached the limit
	// was not cut).
	cut, spilled bool
	cutUsage     qwen.Usage
}

// Citation is one source of the answer and the span of the answer text
// (in Unicode code points) that cites it.
type Citation struct {
	Title, URL string
	Start, End int
}

// maxSources bounds the sources one answer keeps.
const maxSources = 50

// maxSearches bounds the searches one answer keeps.
const maxSearches = 20

// Search is one web search Qwen made: what it searched for ("" when Qwen
// did not say) and the pages it found (deduplicated by URL).
type Search struct {
	Query   string
	Sources []qwen.Source
}

// Add takes one event and returns the answer and reasoning text it adds.
func (a *Answer) Add(ev *qwen.Event) (content, reasoning string) {
	a.Events++
	switch ev.Kind {
	case qwen.EventCreated:
		a.Created = ev.Created
		return "", ""
	case qwen.EventDelta:
	default:
		return "", ""
	}
	if ev.HasUsage {
		a.usage, a.hasUsage = ev.Usage, true
	}
	if a.cut {
		c, r := a.take(ev) // Qwen's answer, for the record
		a.spilled = a.spilled || c != "" || r != ""
		return "", ""
	}
	if a.Limit > 0 && a.hasUsage && a.usage.OutputTokens >= a.Limit {
		// This event's text is the last the client gets.
		a.cut, a.cutUsage = true, a.usage
	}
	return a.take(ev)
}

// Cut reports whether the answer the client gets was cut at Limit: it
// reached the limit and Qwen's went on past it (or has not finished yet).
// An answer that reached the limit with its last words is whole, and so is
// one a stop sequence ended (StopSequence): it ended as it would have
// without a limit, its usage the whole answer's.
func (a *Answer) Cut() bool { return a.cut && a.StopSequence == "" && (a.spilled || !a.Finished) }

// take adds a delta event to the answer and returns the text it adds.
func (a *Answer) take(ev *qwen.Event) (content, reasoning string) {
	a.notePhase(ev.Phase)
	if ev.SearchCall && len(a.searches) < maxSearches {
		a.searches = append(a.searches, Search{Query: bounded(ev.SearchQuery, 1000)})
	}
	if len(ev.Sources) > 0 {
		a.addSources(ev.Sources)
	}
	if qwen.IsImagePhase(ev.Phase) {
		return a.addImage(ev), ""
	}
	if ev.Phase == qwen.PhaseAnswer {
		a.content.WriteString(ev.Content)
		if ev.Finished {
			a.Finished = true
		}
		return ev.Content, ""
	}
	if ev.Phase == qwen.PhaseThink || ev.Phase == qwen.PhaseThinkingSummary {
		a.reasoning.WriteString(ev.Content)
		return "", ev.Content
	}
	// Built-in tool phases (web_search, code_interpreter, …) are neither
	// answer nor reasoning the client asked for.
	return "", ""
}

func (a *Answer) notePhase(phase string) {
	if phase == "" || len(a.phases) >= 8 || slices.Contains(a.phases, phase) {
		return
	}
	a.phases = append(a.phases, phase)
}

// addSources takes the search's result list (Qwen resends it whole),
// keeping each URL once, in order of arrival.
func (a *Answer) addSources(list []qwen.Source) {
	if len(a.searches) == 0 {
		// Results without the call before them: a search all the same.
		a.searches = append(a.searches, Search{})
	}
	last := &a.searches[len(a.searches)-1]
	for _, s := range list {
		if s.URL == "" {
			continue
		}
		kept := qwen.Source{Title: bounded(s.Title, 300), URL: bounded(s.URL, 2048)}
		if len(last.Sources) < maxSources && !slices.ContainsFunc(last.Sources, func(k qwen.Source) bool { return k.URL == kept.URL }) {
			last.Sources = append(last.Sources, kept)
		}
		if len(a.sources) >= maxSources || slices.ContainsFunc(a.sources, func(k qwen.Source) bool { return k.URL == kept.URL }) {
			continue
		}
		a.sources = append(a.sources, kept)
	}
}

// Searches are the web searches Qwen made for the answer, in order.
func (a *Answer) Searches() []Search { return a.searches }

func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// addImage takes an image_gen delta: the image's URL arrives as its content
// (whole, or in pieces), the phase then finishes (qwen-2026.md §3.3). Once
// finished, the answer text is the image as Markdown, which it returns.
func (a *Answer) addImage(ev *qwen.Event) string {
	if strings.HasPrefix(ev.Content, "http") {
		a.image = ev.Content // a whole URL, perhaps sent again
	} else {
		a.image += ev.Content
	}
	if !ev.Finished || a.imageDone || a.image == "" {
		return ""
	}
	a.imageDone = true
	md := "![image](" + a.image + ")"
	a.content.WriteString(md)
	return md
}

// Sources are the web pages the answer's search found, in order.
func (a *Answer) Sources() []qwen.Source { return a.sources }

// Image is the URL of the image the answer generated, "" for none.
func (a *Answer) Image() string {
	if !a.imageDone {
		return ""
	}
	return a.image
}

// Unfinished is the error of a stream that ended (io.EOF) before its answer
// finished: a cut, or, when no answer text arrived at all, an empty answer
// that names the phases that did arrive. An image generation ends with its
// image_gen phase: it is finished then, and Unfinished is nil.
func (a *Answer) Unfinished() error {
	if a.imageDone {
		a.Finished = true
		return nil
	}
	if a.content.Len() > 0 {
		return &qwen.Error{Kind: qwen.KindStreamCut, Message: "Qwen closed the stream before the answer finished"}
	}
	return a.emptyError()
}

// Empty is the error of a finished answer without any answer text, or nil.
// Such an answer is a failure, not a success with empty content.
func (a *Answer) Empty() error {
	if a.content.Len() > 0 {
		return nil
	}
	return a.emptyError()
}

func (a *Answer) emptyError() error {
	return &qwen.Error{Kind: qwen.KindEmptyAnswer, Message: "Qwen's answer had no text" + a.arrived()}
}

// NoImage is the error of an image generation whose answer has no image:
// what Qwen wrote instead (a refusal, as a rule), else the phases that
// arrived.
func (a *Answer) NoImage() error {
	msg := "Qwen's answer had no image"
	if text := strings.TrimSpace(a.content.String()); text != "" {
		msg += "; it said: " + qwen.Summarize([]byte(text))
	} else {
		msg += a.arrived()
	}
	return &qwen.Error{Kind: qwen.KindEmptyAnswer, Message: msg}
}

// arrived names the phases that arrived, for an error.
func (a *Answer) arrived() string {
	if len(a.phases) > 0 {
		return " (phases that arrived: " + strings.Join(a.phases, ", ") + ")"
	}
	return " (no phase arrived)"
}

// Content is the answer text so far.
func (a *Answer) Content() string { return a.content.String() }

// Reasoning is the thinking text so far.
func (a *Answer) Reasoning() string { return a.reasoning.String() }

// Usage maps Qwen's cumulative usage to OpenAI's: for an answer cut at
// Limit, the usage at the cut, which is what the client got (Qwen's whole
// answer's stays in UpstreamRecord).
func (a *Answer) Usage() openai.Usage {
	if !a.hasUsage {
		return openai.Usage{}
	}
	q := a.usage
	if a.Cut() {
		q = a.cutUsage
	}
	u := openai.Usage{PromptTokens: q.InputTokens, CompletionTokens: q.OutputTokens, TotalTokens: totalOf(q)}
	if c := q.Cached(); c > 0 {
		u.PromptTokensDetails = &openai.PromptTokensDetails{CachedTokens: c}
	}
	if r := q.OutputTokensDetails.ReasoningTokens; r > 0 {
		u.CompletionTokensDetails = &openai.CompletionTokensDetails{ReasoningTokens: r}
	}
	return u
}

// Carry adds an earlier answer's usage to this one's: a corrective turn's
// answer carries the answer it corrected, so that the client is told what
// the whole call used, as its record sums every turn.
func (a *Answer) Carry(earlier *Answer) {
	if earlier == nil || !earlier.hasUsage {
		return
	}
	e := earlier.usage
	if earlier.Cut() {
		e = earlier.cutUsage
	}
	a.usage = sumUsage(a.usage, e)
	if a.cut {
		a.cutUsage = sumUsage(a.cutUsage, e)
	}
	a.hasUsage = true
}

// totalOf is a usage's total tokens: Qwen's, or its parts summed where it
// gives none.
func totalOf(u qwen.Usage) int { return cmp.Or(u.TotalTokens, u.InputTokens+u.OutputTokens) }

// sumUsage is two turns' usage together.
func sumUsage(u, v qwen.Usage) qwen.Usage {
	return qwen.Usage{InputTokens: u.InputTokens + v.InputTokens, OutputTokens: u.OutputTokens + v.OutputTokens,
		TotalTokens: totalOf(u) + totalOf(v), OutputTokensDetails: qwen.OutputTokensDetails{
			ReasoningTokens: u.OutputTokensDetails.ReasoningTokens + v.OutputTokensDetails.ReasoningTokens},
		PromptTokensDetails: qwen.PromptTokensDetails{CachedTokens: u.Cached() + v.Cached()}}
}

// UpstreamRecord is the stream assembled into the shape of Qwen's
// non-streamed answer (plus usage and how it ended), for the record:
//
//	{"success":…,"data":{"chat_id":…,"parent_id":…,"message_id":…,"choices":[{"message":{"role":"assistant",
//	"content":…,"reasoning_content":…,"web_search_info":[…],"image":…}}]},"usage":{…},"finished":…,"events":…}
//
// with reasoning_content, web_search_info, image and usage only when there
// are any. It is written field by field, as encoding/json wrote it (every
// call's answer went through its reflection); TestUpstreamRecordEncoding
// holds the two together.
func (a *Answer) UpstreamRecord() []byte {
	content, reasoning := a.Content(), a.Reasoning()
	b := make([]byte, 0, 320+len(content)+len(content)/8+len(reasoning)+len(reasoning)/8)
	b = jsonw.String(a.recordHead(b), content)
	if reasoning != "" {
		b = jsonw.String(append(b, `,"reasoning_content":`...), reasoning)
	}
	return a.recordTail(b)
}

// UpstreamRecordWithin is UpstreamRecord's beginning, at least limit bytes
// of it (and at most limit and a few), and the length of the whole
// (UpstreamRecord itself, and its length, when that is no longer): a
// record that keeps no more than its beginning (RECORD_MAX_BODY_BYTES) is
// never built whole, a copy of the answer's text as long as it. Until
// 2026-12-07 it was, and cut when the call was recorded.
func (a *Answer) UpstreamRecordWithin(limit int) ([]byte, int) {
	if limit <= 0 || a.content.Len()+a.reasoning.Len() <= limit {
		b := a.UpstreamRecord()
		return b, len(b)
	}
	w := &headWriter{limit: limit}
	w.b = a.recordHead(w.b)
	w.whole = len(w.b)
	w.text(&a.content)
	if a.reasoning.Len() > 0 {
		w.raw(`,"reasoning_content":`)
		w.text(&a.reasoning)
	}
	w.write(a.recordTail(nil))
	return w.b, w.whole
}

// headWriter writes a record's beginning, until it holds limit bytes, and
// counts the whole.
type headWriter struct {
	b       []byte
	limit   int
	whole   int
	scratch []byte
}

func (w *headWriter) raw(s string) { w.write([]byte(s)) }

func (w *headWriter) write(p []byte) {
	w.whole += len(p)
	if len(w.b) < w.limit {
		w.b = append(w.b, p...)
	}
}

// text writes t as jsonw.String writes t.String(), a piece at a time: the
// pieces past the limit are counted, not kept. A text's own pieces are
// written one by one, not joined (a copy of it), when each is valid UTF-8
// (whole characters: as a rule, since each is whole deltas).
func (w *headWriter) text(t *Text) {
	pieces := t.Pieces()
	if !slices.ContainsFunc(pieces, func(p string) bool { return !utf8.ValidString(p) }) {
		w.raw(`"`)
		for _, p := range pieces {
			w.piece(p)
		}
		w.raw(`"`)
		return
	}
	w.raw(`"`)
	w.piece(t.String())
	w.raw(`"`)
}

// piece writes s as jsonw.String does without its quotes, a piece at a
// time.
func (w *headWriter) piece(s string) {
	for s != "" {
		piece := s[:runeCut(s, recordPiece)]
		s = s[len(piece):]
		w.scratch = jsonw.String(w.scratch[:0], piece)
		w.write(w.scratch[1 : len(w.scratch)-1])
	}
}

// recordPiece is how much of a text UpstreamRecordWithin writes at a time.
const recordPiece = 64 << 10

// runeCut is where a text's first piece of at most n bytes ends: not
// within a character (which jsonw.String would write as U+FFFD), so that
// the pieces written one by one are the text written whole.
func runeCut(s string, n int) int {
	if len(s) <= n {
		return len(s)
	}
	for i := 0; i < utf8.UTFMax-1 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return n
}

// recordHead writes UpstreamRecord up to its content, which follows.
func (a *Answer) recordHead(b []byte) []byte {
	b = append(b, `{"success":`...)
	b = jsonw.Bool(b, a.Finished)
	b = append(b, `,"data":{"chat_id":`...)
	b = jsonw.String(b, a.Created.ChatID)
	b = append(b, `,"parent_id":`...)
	b = jsonw.String(b, a.Created.ParentID)
	b = append(b, `,"message_id":`...)
	b = jsonw.String(b, a.Created.ResponseID)
	return append(b, `,"choices":[{"message":{"role":"assistant","content":`...)
}

// recordTail writes UpstreamRecord from after its content and reasoning.
func (a *Answer) recordTail(b []byte) []byte {
	if len(a.sources) > 0 {
		b = append(b, `,"web_search_info":[`...)
		for i, s := range a.sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"title":`...)
			b = jsonw.String(b, s.Title)
			b = append(b, `,"url":`...)
			b = jsonw.String(b, s.URL)
			if s.Snippet != "" {
				b = append(b, `,"snippet":`...)
				b = jsonw.String(b, s.Snippet)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if image := a.Image(); image != "" {
		b = append(b, `,"image":`...)
		b = jsonw.String(b, image)
	}
	b = append(b, `}}]}`...)
	if a.hasUsage {
		b = append(b, `,"usage":{"input_tokens":`...)
		b = jsonw.Int(b, int64(a.usage.InputTokens))
		b = append(b, `,"output_tokens":`...)
		b = jsonw.Int(b, int64(a.usage.OutputTokens))
		b = append(b, `,"total_tokens":`...)
		b = jsonw.Int(b, int64(a.usage.TotalTokens))
		if r := a.usage.OutputTokensDetails.ReasoningTokens; r != 0 {
			b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
			b = jsonw.Int(b, int64(r))
			b = append(b, '}')
		}
		if c := a.usage.CachedTokens; c != 0 {
			b = append(b, `,"cached_tokens":`...)
			b = jsonw.Int(b, int64(c))
		}
		if c := a.usage.PromptTokensDetails.CachedTokens; c != 0 {
			b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
			b = jsonw.Int(b, int64(c))
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	b = append(b, `,"finished":`...)
	b = jsonw.Bool(b, a.Finished)
	b = append(b, `,"events":`...)
	b = jsonw.Int(b, int64(a.Events))
	return append(b, '}')
}
