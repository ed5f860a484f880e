package qwensim

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
)

// Chat types the simulator answers besides plain chat (t2t).
const (
	chatTypeSearch    = "search"
	chatTypeImage     = "t2i"
	chatTypeImageEdit = "image_edit"
)

// noImageToEdit is the refusal of an image_edit message without files.
// Assumed: no capture of Qwen refusing one exists; the web client never
// sends one (its edit mode needs an image), and Qwen answers a body it
// cannot use with Bad_Request, so that is what the simulator does.
const noImageToEdit = "image_edit requires an image in the message's files"

// messageFile is what the simulator reads of a message.files entry.
type messageFile struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	URL       string `json:"url"`
	Name      string `json:"name"`
	FileClass string `json:"file_class"`
	ShowType  string `json:"showType"`
	FileType  string `json:"file_type"`
}

// seeFiles checks a message's attachments and says what the model sees:
// "I see 1 image: cat.png (68 bytes, image/png)." or "I read 1 document:
// a.pdf (90 bytes, application/pdf).", so tests can tell that a file
// arrived. An image must be uploaded to the simulated store (named by its
// upload token's file_id and url) and be type "image", file_class
// "vision". A document must be uploaded as filetype "file", parsed
// (files/parse answered success), and be the web client's document entry
// (qwen.NewDocumentFile's sources): type "file", showType "file",
// file_class "document", file_type the MIME type it was stored with.
// Anything else is a Bad_Request (assumed, as for images: no capture of
// Qwen refusing an entry exists). texts are the text documents' contents,
// which the model reads with the message.
func (s *Sim) seeFiles(files []messageFile) (seen string, texts []string, code, details string) {
	if len(files) == 0 {
		return "", nil, "", ""
	}
	var images, docs []string
	for _, f := range files {
		obj, ok := s.uploaded(f.ID, f.URL)
		switch {
		case f.Type == "image" && f.FileClass == "vision" && ok && obj.filetype != "file":
			images = append(images, fmt.Sprintf("%s (%d bytes, %s)", f.Name, len(obj.data), obj.contentType))
		case f.Type == "file":
			if !ok || obj.filetype != "file" {
				return "", nil, CodeBadRequest, "file " + f.ID + " is not an uploaded document"
			}
			if f.FileClass != "document" || f.ShowType != "file" || f.FileType != obj.contentType {
				return "", nil, CodeBadRequest, "file " + f.ID + ": a document's entry needs file_class document, showType file and file_type " + obj.contentType
			}
			if obj.parse != "success" {
				return "", nil, CodeBadRequest, "file " + f.ID + " has not been parsed"
			}
			docs = append(docs, fmt.Sprintf("%s (%d bytes, %s)", f.Name, len(obj.data), obj.contentType))
			if obj.contentType != "application/pdf" {
				texts = append(texts, string(obj.data))
			}
		default:
			return "", nil, CodeBadRequest, "file " + f.ID + " is not an uploaded image"
		}
	}
	if len(images) > 0 {
		seen += fmt.Sprintf(" I see %d %s: %s.", len(images), plural(len(images), "image"), strings.Join(images, ", "))
	}
	if len(docs) > 0 {
		seen += fmt.Sprintf(" I read %d %s: %s.", len(docs), plural(len(docs), "document"), strings.Join(docs, ", "))
	}
	return seen, texts, "", ""
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// seesNeedToSearch is the simulated model's own choice to search, with
// feature_config auto_search on a text chat (qwen-2026.md §2.2: "lets the
// model search on its own"): when the turn's words ask to search or for
// news — a rule tests can rely on; Qwen's own is its model's.
func seesNeedToSearch(words string) bool {
	w := strings.ToLower(words)
	return strings.Contains(w, "search") || strings.Contains(w, "news") || strings.Contains(w, "latest")
}

// source is one web search result.
type source struct{ title, url, snippet string }

// searchResults are the two pages the simulated search finds for words.
func searchResults(words string) []source {
	q := firstWords(words, 6)
	esc := url.QueryEscape(q)
	return []source{
		{"First result for " + q, "https://example.com/search/1?q=" + esc, "What the first page says."},
		{"Second result for " + q, "https://example.org/search/2?q=" + esc, "What the second page says."},
	}
}

// sendSearch streams a web search as Qwen's own tools answer: the
// web_search phase's function_call with its function_id (qwen-wire.md
// §4.2, S8), then the result as a frame of role "function" named
// web_search, carrying the results in extra.web_search_info (qwen-2026.md
// §2.2, Q2A reads them from the frame whose delta.name is "web_search").
func (s *Sim) sendSearch(send func([]byte) bool, enc *encoder, t *turn) bool {
	id := newID()
	return send(enc.searchCall(t.query, id)) && send(enc.searchResult(t.sources, id))
}

// searchCall is the web_search phase's call: no role, no content, the
// query in function_call.arguments (a JSON string).
func (e *encoder) searchCall(query, functionID string) []byte {
	args := appendPyString([]byte(`{"query": `), query)
	args = append(args, '}')
	call := newObj().str("name", "web_search").str("arguments", string(args))
	delta := e.phase(newObj().str("content", ""), "web_search").str("status", "typing").
		obj("function_call", call).str("function_id", functionID)
	return e.event(delta, nil, nil)
}

// searchResult is the search's result frame: role function, no content,
// the results in extra.web_search_info.
func (e *encoder) searchResult(results []source, functionID string) []byte {
	var list [][]byte
	for _, r := range results {
		list = append(list, newObj().str("url", r.url).str("title", r.title).str("snippet", r.snippet).
			str("hostname", hostOf(r.url)).bytes())
	}
	extra := newObj().raw("web_search_info", pyList(list...))
	delta := newObj().str("role", "function").str("content", "").str("name", "web_search")
	delta = e.phase(delta, "web_search").str("status", "finished").str("function_id", functionID)
	return e.event(delta, nil, extra)
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

// generate makes the image a t2i prompt asks for (a small PNG whose colour
// depends on the prompt), keeps it in the store, and returns its path.
func (s *Sim) generate(prompt string) string {
	var sum byte
	for i := 0; i < len(prompt); i++ {
		sum += prompt[i]
	}
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: sum, G: byte(x * 32), B: byte(y * 32), A: 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // to memory: cannot fail
	return "/" + Bucket + "/" + s.storeGenerated(b.Bytes())
}

// edit makes the image an image_edit prompt asks for, of files (already
// checked by seeFiles): a small PNG, as generate makes, whose colour depends
// on the prompt and the edited images' bytes, so that tests can tell which
// image was edited.
func (s *Sim) edit(prompt string, files []messageFile) string {
	var b strings.Builder
	b.WriteString(prompt)
	for _, f := range files {
		obj, _ := s.uploaded(f.ID, f.URL)
		b.Write(obj.data)
	}
	return s.generate(b.String())
}

// sendImage streams an image generation as Qwen does (qwen-2026.md §3.3):
// the image_gen phase's content is the image's URL (typing), then the phase
// finishes. The URL is the simulator's own, so it can be fetched. A break
// of f (CutAfter, StallAfter, ErrorAfter 1) comes after the keep-alive: a
// generation that fails once under way.
func (s *Sim) sendImage(send func([]byte) bool, enc *encoder, t *turn, r *http.Request, u *usage, f *Fault) {
	// The picture takes a while: Qwen keeps the caller meanwhile.
	events := 0
	if enc.format == Format2026 {
		if !send(enc.keepAlive(t.chat.id)) {
			return
		}
		events++
	}
	if interrupt(f, events, send, r, t) {
		return
	}
	u.output++
	if !send(enc.typing("image_gen", "http://"+r.Host+t.image, *u)) {
		return
	}
	s.release(t)
	send(enc.finished("image_gen"))
}
