package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	qp "qwenproxy"
	"qwenproxy/internal/imagefetch"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// maxDocuments bounds the documents of a turn (and of a replayed
// history): each is held in memory until it is uploaded and parsed, four
// requests to Qwen.
const maxDocuments = 20

// documentUploader is an upstream that takes documents
// (qwen.Client.UploadDocument): upload token, object store, parse.
type documentUploader interface {
	UploadDocument(ctx context.Context, chatID, name, contentType string, data []byte) (qwen.File, qwen.Attempts, error)
}

// document is a client's document, decoded and checked: a PDF or UTF-8
// text, as it is uploaded.
type document struct {
	data        []byte
	contentType string // application/pdf or text/plain
	name        string
	sha256      string
}

// turnInputs reads the turn's images and documents (turnImages,
// turnDocuments) and checks the history's (historyInputs).
func (s *Server) turnInputs(ctx context.Context, t *turnSpec, param string) *openai.Error {
	t.messagesParam = param
	if apiErr := s.turnImages(ctx, t, param); apiErr != nil {
		return apiErr
	}
	if apiErr := s.turnDocuments(ctx, t, param); apiErr != nil {
		return apiErr
	}
	return s.historyInputs(ctx, t, param)
}

// turnDocuments reads the documents of the turn's new messages. What Qwen
// does not take is a 400 naming the document's field (qp.Document's Param;
// param, the request's field of messages, for what is about them all):
// a type other than PDF or plain text, a document over DOCUMENT_MAX_BYTES,
// more than maxDocuments, a URL not fetched (by the policy, or failing) or
// malformed data.
func (s *Server) turnDocuments(ctx context.Context, t *turnSpec, param string) *openai.Error {
	_, turn := translate.Split(t.messages)
	var docs []qp.Document
	for _, m := range turn {
		docs = append(docs, m.Documents...)
	}
	if len(docs) == 0 {
		return nil
	}
	if t.image || t.edit {
		return openai.InvalidRequest(param, "invalid_document", "the model %q makes images and reads no documents: send documents to a chat model", t.answerModel())
	}
	out, apiErr := s.loadDocuments(ctx, docs, param)
	t.documents = out
	return apiErr
}

// loadDocuments decodes and checks documents, fetching those given by
// http(s) URL as image URLs are fetched (the same policy, protections and
// parallelism; bounded by DOCUMENT_MAX_BYTES): a 400 invalid_document, as
// a failed image URL is a 400 invalid_image.
func (s *Server) loadDocuments(ctx context.Context, docs []qp.Document, param string) ([]*document, *openai.Error) {
	if apiErr := documentCount(len(docs), param); apiErr != nil {
		return nil, apiErr
	}
	out, err := imagefetch.All(ctx, len(docs), func(ctx context.Context, i int) (*document, error) {
		doc, why := s.readDocument(ctx, docs[i])
		if why != "" {
			return nil, &inputError{param: docs[i].Param, err: errors.New(why)}
		}
		return doc, nil
	})
	if err != nil {
		return nil, inputAPIError(err, "invalid_document", param)
	}
	return out, nil
}

// documentCount bounds the documents read at once (maxDocuments).
func documentCount(n int, param string) *openai.Error {
	if n > maxDocuments {
		return openai.InvalidRequest(param, "invalid_document", "%d documents, over the %d a turn takes: send fewer documents in a turn (or in a conversation replayed into a new chat)", n, maxDocuments)
	}
	return nil
}

// readDocument reads a document: its data: URL decoded, or its http(s) URL
// fetched (when ALLOW_IMAGE_URLS allows it). why says what is wrong, or
// is "".
func (s *Server) readDocument(ctx context.Context, d qp.Document) (doc *document, why string) {
	maxBytes := s.cfg.Capabilities.DocumentMaxBytes
	if qp.IsDataURL(d.URL) {
		return decodeDocument(d, maxBytes)
	}
	got, err := s.images.Fetch(ctx, d.URL, imagefetch.Kind{Noun: "document", Accept: "application/pdf, text/plain;q=0.9, text/markdown;q=0.9",
		MaxBytes: maxBytes, Limit: "DOCUMENT_MAX_BYTES", Inline: "its bytes as base64 (Responses: file_data, a data: URL; Anthropic: a base64 source)"})
	if err != nil {
		return nil, err.Error()
	}
	name := d.Name
	if strings.TrimSpace(name) == "" && got.Name != "/" && got.Name != "." {
		name = got.Name
	}
	doc, why = checkDocument(got.Data, servedType(got.ContentType), name)
	if why != "" {
		why = imagefetch.Short(d.URL) + ": " + why // which of the turn's URLs, as a fetch's failure says
	}
	return doc, why
}

// servedType is the type a server gave a document, as checkDocument reads
// a declared one: "" for none, or for bytes of no type (servers send PDFs
// as application/octet-stream), so that its bytes say what it is.
func servedType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "application/octet-stream" || mt == "binary/octet-stream" {
		return ""
	}
	return mt
}

// decodeDocument decodes a document's data: URL and checks it
// (checkDocument), at most maxBytes.
func decodeDocument(d qp.Document, maxBytes int64) (doc *document, why string) {
	declared, isBase64, payload, ok := imagefetch.SplitDataURL(d.URL)
	if !ok {
		return nil, "a data: URL needs a comma before its data"
	}
	if int64(len(payload)) > 3*maxBytes+1024 {
		return nil, fmt.Sprintf("over DOCUMENT_MAX_BYTES (%d)", maxBytes)
	}
	data, err := imagefetch.DataBytes(payload, isBase64)
	if err != nil {
		return nil, strings.Replace(err.Error(), "image's", "document's", 1)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Sprintf("%d bytes, over DOCUMENT_MAX_BYTES (%d)", len(data), maxBytes)
	}
	return checkDocument(data, declared, d.Name)
}

// checkDocument checks that Qwen takes a document: a PDF (its bytes start
// %PDF-) or UTF-8 text (declared as text — textual — or undeclared,
// uploaded as text/plain: the type the 2026 peers attach text as), and
// names it. why says what is wrong, or is "".
func checkDocument(data []byte, declared, name string) (doc *document, why string) {
	if len(data) == 0 {
		return nil, "the document is empty"
	}
	declared = strings.ToLower(declared)
	var contentType, ext string
	switch {
	case strings.HasPrefix(string(data), "%PDF-"):
		contentType, ext = "application/pdf", "pdf"
	case declared == "application/pdf":
		return nil, "declared application/pdf, and its bytes are not a PDF (they do not start %PDF-)"
	case textual(declared) || declared == "":
		if !utf8.Valid(data) || strings.ContainsRune(string(data), 0) {
			if declared == "" { // a data: URL of no type, or a server's bytes of none
				return nil, "neither a PDF (its bytes do not start %PDF-) nor UTF-8 text: Qwen reads PDFs and plain text here"
			}
			return nil, "declared text, and it is not UTF-8 text"
		}
		contentType, ext = "text/plain", "txt"
	default:
		return nil, fmt.Sprintf("type %q is not taken: Qwen reads PDFs and UTF-8 text (text/* but HTML, JSON, XML, YAML) here", declared)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	return &document{data: data, contentType: contentType, name: documentName(name, ext, hexSum), sha256: hexSum}, ""
}

// textual reports whether a declared type is text the model can read as
// plain text: any text/… type (plain, Markdown, CSV, source code: OpenAI's
// Responses API takes code and CSV files as input_file), and the
// structured-text types files of code and data are sent as. Not HTML: a
// URL that serves a page (a login, an error, a viewer) rather than the
// document is refused, not read as it.
func textual(declared string) bool {
	switch {
	case declared == "text/html" || declared == "application/xhtml+xml":
		return false
	case strings.HasPrefix(declared, "text/"), strings.HasSuffix(declared, "+json"), strings.HasSuffix(declared, "+xml"):
		return true
	}
	switch declared {
	case "application/json", "application/x-ndjson", "application/xml", "application/yaml", "application/x-yaml",
		"application/toml", "application/javascript", "application/x-javascript", "application/typescript",
		"application/x-sh", "application/sql", "application/x-python", "application/x-httpd-php":
		return true
	}
	return false
}

// documentName is the name a document is uploaded under (Qwen's chat
// shows it): the client's, its directories dropped, when printable and
// short, with the extension of its type added when it lacks it; else
// document-<sha256 prefix>.<ext>.
func documentName(given, ext, hexSum string) string {
	name := path.Base(strings.ReplaceAll(strings.TrimSpace(given), "\\", "/"))
	printable := strings.IndexFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f || r == '"' || r == utf8.RuneError }) < 0
	if name == "." || name == "/" || name == "" || !printable || len(name) > maxNameBytes || !utf8.ValidString(name) {
		return "document-" + hexSum[:12] + "." + ext
	}
	if !strings.HasSuffix(strings.ToLower(name), "."+ext) {
		name += "." + ext
	}
	return name
}

// maxNameBytes bounds a document's name taken from the client.
const maxNameBytes = 100

// attachDocuments uploads documents for a turn of chatID and returns their
// message.files entries; a document this chat has had (the same bytes) is
// not uploaded again.
func (s *Server) attachDocuments(ctx context.Context, c *call, chatID string, docs []*document) ([]qwen.File, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	up, ok := s.deps.Upstream.(documentUploader)
	if !ok {
		return nil, &qwen.Error{Kind: qwen.KindBadRequest, Status: http.StatusBadRequest, Message: "this upstream cannot take documents"}
	}
	items := make([]upload, len(docs))
	for i, d := range docs {
		items[i] = upload{name: d.name, contentType: d.contentType, sha256: d.sha256, data: d.data}
	}
	return s.uploadOnce(ctx, c, chatID, items, true, up.UploadDocument)
}

// historyDocuments are the documents of the conversation before its new
// turn, for a new chat into which the history is replayed.
func historyDocuments(msgs []qp.Message) []qp.Document {
	history, _ := translate.Split(msgs)
	var out []qp.Document
	for _, m := range history {
		out = append(out, m.Documents...)
	}
	return out
}
