package openai

import "encoding/json"

// Annotation is a url_citation of a chat answer (message.annotations, and
// delta.annotations in streams): a web page the answer drew on, and the span
// of message.content (in Unicode code points, end exclusive) that cites it.
type Annotation struct {
	Type        string      `json:"type"` // "url_citation"
	URLCitation URLCitation `json:"url_citation"`
}

// URLCitation is the cited page and where in the content it is cited.
type URLCitation struct {
	StartIndex int    `json:"start_index"`
	EndIndex   int    `json:"end_index"`
	Title      string `json:"title"`
	URL        string `json:"url"`
}

// FinishAnnotated is the chunk carrying finish_reason together with the
// answer's annotations in its delta (legacy completions have no place for
// them and get Finish).
func (e *ChunkEncoder) FinishAnnotated(reason string, annotations []Annotation) []byte {
	if e.legacy || len(annotations) == 0 {
		return e.Finish(reason)
	}
	list, _ := json.Marshal(annotations) // strings and ints: cannot fail
	return e.delta(`{"annotations":`+string(list)+`}`, "", reason)
}
