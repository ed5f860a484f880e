package server

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// sourcesHeading opens the source list appended to a searching answer.
const sourcesHeading = "\n\nSources:\n"

// sourcesAsText is an output that may have no citations of a text's spans
// (Anthropic's Messages API, legacy completions): when its sourcesAsText is
// true it is given the source list whatever SEARCH_SOURCES says, as the
// sources would otherwise be lost to it.
type sourcesAsText interface{ sourcesAsText() bool }

// citeSources ends a searching answer with its sources: with
// SEARCH_SOURCES=append (or for an output whose sourcesAsText is true), a
// numbered list after the text ("[1] [title](url)" per line), each line the
// span its citation points at; with annotations,
// no text, and each citation an empty span at the end of the answer. The
// citations go on the answer, for the client API's output to send.
//
// Some answers take no list, as text after them would break what the
// client asked for: an answer held to JSON (jsonOnly), and an answer with
// stop sequences when one of them ended it (nothing follows a stop
// sequence) or when the list would put one in the text (the client's text
// never holds one). Their sources are citations only, where the output has
// them; the record keeps them all (web_search_info).
func (s *Server) citeSources(ans *translate.Answer, out output, jsonOnly bool, stops []string) error {
	sources := ans.Sources()
	if len(sources) == 0 {
		return nil
	}
	textOnly := false
	if o, ok := out.(sourcesAsText); ok {
		textOnly = o.sourcesAsText()
	}
	text := out.message().Text
	// The list is made only where it may be appended.
	var list string
	var spans []translate.Citation
	// Nothing follows an answer a stop sequence or the client's limit of
	// output tokens ended.
	appended := !jsonOnly && ans.StopSequence == "" && !ans.Cut() && (textOnly || s.cfg.Capabilities.SearchSources == "append")
	if appended {
		list, spans = sourceList(sources)
		appended = !holdsStop(text+list, stops)
	}
	if !appended && textOnly {
		return nil
	}
	pos := utf8.RuneCountInString(text)
	if !appended {
		for _, src := range sources {
			ans.Citations = append(ans.Citations, translate.Citation{Title: src.Title, URL: src.URL, Start: pos, End: pos})
		}
		return nil
	}
	for _, c := range spans {
		c.Start, c.End = c.Start+pos, c.End+pos
		ans.Citations = append(ans.Citations, c)
	}
	return out.content(list)
}

// sourceList is the text of the sources' numbered list, heading first, and
// each source's citation spanning its line, in code points of that text.
func sourceList(sources []qwen.Source) (string, []translate.Citation) {
	var b strings.Builder
	b.WriteString(sourcesHeading)
	pos := utf8.RuneCountInString(sourcesHeading)
	spans := make([]translate.Citation, 0, len(sources))
	for i, src := range sources {
		line := sourceLine(i+1, src.Title, src.URL)
		n := utf8.RuneCountInString(line)
		spans = append(spans, translate.Citation{Title: src.Title, URL: src.URL, Start: pos, End: pos + n})
		b.WriteString(line)
		if i < len(sources)-1 {
			b.WriteByte('\n')
		}
		pos += n + 1
	}
	return b.String(), spans
}

// holdsStop reports whether text holds one of stops.
func holdsStop(text string, stops []string) bool {
	for _, stop := range stops {
		if stop != "" && strings.Contains(text, stop) {
			return true
		}
	}
	return false
}

// annotations are the answer's citations as Chat Completions' url_citation
// annotations.
func annotations(ans *translate.Answer) []openai.Annotation {
	if ans == nil {
		return nil
	}
	var out []openai.Annotation
	for _, c := range ans.Citations {
		out = append(out, openai.Annotation{Type: "url_citation",
			URLCitation: openai.URLCitation{StartIndex: c.Start, EndIndex: c.End, Title: c.Title, URL: c.URL}})
	}
	return out
}

// sourceLine is a numbered Markdown link to a source, on one line: the
// title's brackets escaped and the URL's parentheses and spaces
// percent-encoded, so that a title such as "Results [2026" or a URL such as
// ".../Oslo_(city)" does not end the link early.
func sourceLine(n int, title, url string) string {
	title = strings.Join(strings.Fields(title), " ") // one line
	if title == "" {
		title = url
	}
	title = markdownText.Replace(title)
	return fmt.Sprintf("[%d] [%s](%s)", n, title, markdownURL.Replace(url))
}

var (
	markdownText = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`)
	markdownURL  = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20")
)
