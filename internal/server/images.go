package server

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	qp "qwenproxy"
	"qwenproxy/internal/imagefetch"
	"qwenproxy/internal/jsonedit"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/jsonw"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/translate"
)

// uploader is an upstream that takes images: Qwen's upload token, then the
// object store (qwen.Client.Upload). It must use the credentials (account)
// of the chat the image is for.
type uploader interface {
	Upload(ctx context.Context, chatID, name, contentType string, data []byte) (qwen.File, qwen.Attempts, error)
}

// turnImages reads the images of the turn's new messages (what goes
// upstream now), after checking that the model takes images. Bad images
// (unreadable data: URLs, URLs not allowed or not fetched, too large, not an
// image) are 400s that name the image's field (qp.Image's Param; param, the
// request's field of messages — "messages", or the Responses API's
// "input" — for what is about them all); nothing is recorded for them.
func (s *Server) turnImages(ctx context.Context, t *turnSpec, param string) *openai.Error {
	_, turn := translate.Split(t.messages)
	var all []qp.Image
	for _, m := range turn {
		all = append(all, m.Images...)
	}
	if len(all) == 0 && t.edit {
		return noImageToEdit(param, t.answerModel())
	}
	if len(all) == 0 {
		return nil
	}
	if !s.seesImages(ctx, t) {
		return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: param, Code: "model_capability_unsupported",
			Message: fmt.Sprintf("the model %q does not take images (Qwen's model list gives it no vision); use a vision model, e.g. one GET /v1/models lists with metadata.capabilities.vision", t.answerModel())}
	}
	images, apiErr := s.loadImages(ctx, all, param)
	t.images = images
	return apiErr
}

// seesImages reports whether the turn's model takes images: it has vision
// (or is not in Qwen's model list, which then cannot say), or it edits
// them (image_edit, checked with the variant, takes them as what to edit).
func (s *Server) seesImages(ctx context.Context, t *turnSpec) bool {
	if t.edit {
		return true
	}
	caps, err := s.models.capabilities(ctx)
	if err != nil {
		return true
	}
	c, listed := caps[t.model]
	return !listed || c.Vision
}

// noImageToEdit is the 400 for an -image-edit turn without an image: Qwen's
// image_edit needs one, so the call could only fail upstream.
func noImageToEdit(param, model string) *openai.Error {
	return openai.InvalidRequest(param, "missing_image", "the model %q edits the turn's images, and the turn has no image: send the image to edit with the prompt (or name the model without -image-edit)", model)
}

// loadImages reads images, at most IMAGE_MAX_COUNT: each is held in memory
// until it is uploaded, which takes two requests to Qwen, so without a
// bound one request could make the proxy hold and send any number of them.
// One that cannot be read is a 400 invalid_image naming its field, or
// param when it names none.
func (s *Server) loadImages(ctx context.Context, images []qp.Image, param string) ([]*imagefetch.Image, *openai.Error) {
	if apiErr := s.imageCount(len(images), param); apiErr != nil {
		return nil, apiErr
	}
	out, err := imagefetch.All(ctx, len(images), func(ctx context.Context, i int) (*imagefetch.Image, error) {
		img, err := s.images.Get(ctx, images[i].URL)
		if err != nil {
			return nil, &inputError{param: images[i].Param, err: err}
		}
		return img, nil
	})
	if err != nil {
		return nil, inputAPIError(err, "invalid_image", param)
	}
	return out, nil
}

// imageCount bounds the images read at once (IMAGE_MAX_COUNT).
func (s *Server) imageCount(n int, param string) *openai.Error {
	if max := s.cfg.Capabilities.ImageMaxCount; max > 0 && n > max {
		return openai.InvalidRequest(param, "invalid_image", "%d images, over IMAGE_MAX_COUNT (%d): send fewer images in a turn (or in a conversation replayed into a new chat)", n, max)
	}
	return nil
}

// inputError is an image or document of a request that cannot be taken,
// with the field that gave it ("" when unknown).
type inputError struct {
	param string
	err   error
}

func (e *inputError) Error() string { return e.err.Error() }

// inputAPIError is the 400 (code) for err, from an image or document
// (inputError): "<field>: <why>", the field's path told in the client API's
// notation, or fallback's when it names none. A data: URL, which the path
// names better (Anthropic's base64 data went up as one the client never
// sent), is left out of why.
func inputAPIError(err error, code, fallback string) *openai.Error {
	e := &inputError{err: err}
	errors.As(err, &e)
	param := cmp.Or(e.param, fallback)
	why := e.err.Error()
	if fe := (*imagefetch.Error)(nil); errors.As(e.err, &fe) && qp.IsDataURL(fe.URL) {
		why = fe.Message
	}
	return openai.InvalidRequest(param, code, "%s: %s", param, why)
}

// attach uploads images for a turn of chatID and returns their
// message.files entries. An image this chat has had before (the same
// bytes) is not uploaded again: its entry is remembered.
func (s *Server) attach(ctx context.Context, c *call, chatID string, images []*imagefetch.Image) ([]qwen.File, error) {
	if len(images) == 0 {
		return nil, nil
	}
	up, ok := s.deps.Upstream.(uploader)
	if !ok {
		return nil, &qwen.Error{Kind: qwen.KindBadRequest, Message: "this upstream cannot take images"}
	}
	items := make([]upload, len(images))
	for i, img := range images {
		items[i] = upload{name: img.Name, contentType: img.ContentType, sha256: img.SHA256, data: img.Data}
	}
	return s.uploadOnce(ctx, c, chatID, items, false, up.Upload)
}

// upload is one file of a turn to attach: an image or a document.
type upload struct {
	name, contentType, sha256 string
	data                      []byte
}

// uploadOnce puts items up with put for a turn of chatID and returns their
// message.files entries, in order. A file this chat has had before (the
// same bytes) is not uploaded again: its entry is remembered. A failed
// upload is an uploadError naming the file (a document's when document).
func (s *Server) uploadOnce(ctx context.Context, c *call, chatID string, items []upload, document bool,
	put func(ctx context.Context, chatID, name, contentType string, data []byte) (qwen.File, qwen.Attempts, error)) ([]qwen.File, error) {
	var files []qwen.File
	for _, it := range items {
		if f, ok := s.files.get(chatID, it.sha256); ok {
			files = append(files, f)
			continue
		}
		f, tried, err := put(ctx, chatID, it.name, it.contentType, it.data)
		c.upstreamTried(&c.ex.Response.UpstreamAttempts, tried)
		if err != nil {
			return nil, &uploadError{name: it.name, document: document, err: err}
		}
		s.files.put(chatID, it.sha256, f)
		files = append(files, f)
	}
	return files, nil
}

// uploadError is an image's upload that failed (its upload token, or the
// put to the object store), so that the client is told it was the upload
// and not the chat or the answer that Qwen refused.
type uploadError struct {
	name     string
	document bool // a document's upload (its parse included), not an image's
	err      error
}

func (e *uploadError) Error() string { return "upload " + e.name + ": " + e.err.Error() }

// what names the file: "image cat.png", "document report.pdf".
func (e *uploadError) what() string {
	if e.document {
		return "document " + e.name
	}
	return "image " + e.name
}
func (e *uploadError) Unwrap() error { return e.err }

// turnFiles uploads the turn's images for chatID (and, when the history is
// replayed into a new chat, the images of told, the conversation it is
// told — the history a client resent, or the one a previous_response_id
// stands for, rebuilt from the record — before them) and returns their
// message.files entries. The uploads use ctx's credentials: those of the
// account that owns the chat.
func (s *Server) turnFiles(ctx context.Context, c *call, t *turnSpec, chatID string, replay bool, told []qp.Message) ([]qwen.File, error) {
	files, err := s.attach(ctx, c, chatID, t.images)
	if err == nil {
		var docs []qwen.File
		docs, err = s.attachDocuments(ctx, c, chatID, t.documents)
		files = append(files, docs...)
	}
	if err != nil || !replay {
		return files, err
	}
	earlier, err := s.replayImages(ctx, t, told)
	if err != nil {
		return nil, err
	}
	more, err := s.attach(ctx, c, chatID, earlier)
	if err != nil {
		return nil, err
	}
	earlierDocs, apiErr := s.loadDocuments(ctx, historyDocuments(told), cmp.Or(t.messagesParam, "messages"))
	if apiErr != nil {
		return nil, apiErr
	}
	moreDocs, err := s.attachDocuments(ctx, c, chatID, earlierDocs)
	if err != nil {
		return nil, err
	}
	return append(append(more, moreDocs...), files...), nil
}

// historyImages are the images of the conversation before its new turn,
// for a new chat into which the history is replayed.
func historyImages(msgs []qp.Message) []qp.Image {
	history, _ := translate.Split(msgs)
	var out []qp.Image
	for _, m := range history {
		out = append(out, m.Images...)
	}
	return out
}

// Bounds of the remembered uploads.
const (
	maxChatsWithFiles = 4096
	maxFilesPerChat   = 64
)

// chatFiles remembers, per Qwen chat, the images uploaded for it (by the
// SHA-256 of their bytes), so that the same image is not uploaded to a chat
// twice. It is bounded: the chats least recently given a file are
// forgotten first. It is per instance: another instance uploads again.
type chatFiles struct {
	mu    sync.Mutex
	chats map[string]map[string]qwen.File
	order []string // chat ids, oldest first
}

func (m *chatFiles) get(chatID, sum string) (qwen.File, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.chats[chatID][sum]
	return f, ok
}

func (m *chatFiles) put(chatID, sum string, f qwen.File) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.chats == nil {
		m.chats = map[string]map[string]qwen.File{}
	}
	files, ok := m.chats[chatID]
	if !ok {
		if len(m.order) >= maxChatsWithFiles {
			delete(m.chats, m.order[0])
			m.order = m.order[1:]
		}
		files = map[string]qwen.File{}
		m.chats[chatID] = files
		m.order = append(m.order, chatID)
	}
	if len(files) < maxFilesPerChat {
		files[sum] = f
	}
}

// imageRefs prepares a client body for the record: image and document
// bytes are replaced by a reference (kind, MIME type, SHA-256 and size), so
// that the record keeps what was sent but not the bytes
// (RECORD_IMAGE_BYTES=true keeps them): images' data: URLs anywhere, the
// base64 data of Anthropic image and document sources, and the file_data
// of OpenAI file parts and Responses input_file parts. Image and document
// URLs keep what they name but not their credentials (a
// password, a signed URL's signature: redact.URL), whatever
// RECORD_IMAGE_BYTES says.
func (s *Server) imageRefs(body []byte) []byte {
	editor := imageURLs
	if !s.cfg.Capabilities.RecordImageBytes && (mayHoldDataURL(body) || bytes.Contains(body, []byte(`"base64"`)) ||
		bytes.Contains(body, []byte(`"image_generation_call"`))) {
		editor = imageBytes
	} else if !urlsToMask(body) {
		return body
	}
	out, _ := editor.Rewrite(body)
	return out
}

// mayHoldDataURL reports whether body may hold a string that is a data:
// URL: it never says no where one is. The scheme is any case ("DATA:" is
// taken as an image, qp.IsDataURL), and a string may spell its letters
// escaped (\u0044), which one vectorised scan rules out; otherwise each
// colon is looked at, the bytes before it an opening quote and "data".
func mayHoldDataURL(body []byte) bool {
	if bytes.Contains(body, []byte(`\u`)) {
		return true
	}
	for at := 0; ; {
		i := bytes.IndexByte(body[at:], ':')
		if i < 0 {
			return false
		}
		at += i + 1
		if c := at - 1; c >= 5 && bytes.EqualFold(body[c-5:c], []byte(`"data`)) {
			return true
		}
	}
}

// imageURLs finds the http(s) URLs of images and documents (image_url.url,
// an Anthropic url source's url, a Responses input_image's image_url and
// input_file's file_url) to mask their credentials, every other byte left
// as sent.
var imageURLs = jsonedit.Editor{Member: func(_ jsonedit.Object, name string, v []byte) ([]byte, bool) { return maskedImageURL(name, v) }}

// urlsToMask reports whether imageURLs may change body: it never says no
// where the editor would (its members and its mask, found by one scan).
func urlsToMask(body []byte) bool {
	// Every name looked at ends in "url": a body without those bytes has
	// no such member, unless a name spells them escaped (\u0072), the
	// one JSON escape that writes a letter. Two vectorised scans pass over
	// what a plain chat sends without reading each of its members.
	if !bytes.Contains(body, []byte("url")) && !bytes.Contains(body, []byte(`\u`)) {
		return false
	}
	return redact.AnyMember(body, imageURLKeys, func(v []byte) bool { _, masked := maskedURL(v); return masked })
}

// imageURLKeys name the members imageURLs looks at.
var imageURLKeys = []string{"url", "image_url", "file_url"}

func maskedImageURL(name string, v []byte) ([]byte, bool) {
	if !slices.Contains(imageURLKeys, name) {
		return nil, false
	}
	return maskedURL(v)
}

// maskedURL is v, a JSON value, masked by redact.URL when it is a string
// that has credentials to mask.
func maskedURL(v []byte) ([]byte, bool) {
	u, isString := jsonscan.StringValue(v)
	if !isString {
		return nil, false
	}
	if masked := redact.URL(u); masked != u {
		return jsonw.String(nil, masked), true
	}
	return nil, false
}

// imageBytes finds the images of imageRefs, and the image URLs of
// imageURLs, every other byte left as sent. A Responses
// image_generation_call's result (the image as base64, resent as input)
// becomes "[image, N bytes, sha256:…]".
// Documents are referred to alike: an Anthropic base64 document source,
// an OpenAI file part's or a Responses input_file's file_data (a data:
// URL) become "[document application/pdf, N bytes, sha256:…]".
var imageBytes = jsonedit.Editor{
	Member: func(obj jsonedit.Object, name string, v []byte) ([]byte, bool) {
		if name == "result" {
			data, isString := jsonscan.StringValue(v)
			if kind, _ := obj.String("type"); !isString || kind != "image_generation_call" || strings.HasPrefix(data, "[image") {
				return nil, false // the proxy's own reference is kept as it is
			}
			return jsonw.String(nil, dataRef("image", "", data, true)), true
		}
		if name == "file_data" {
			u, isString := jsonscan.StringValue(v)
			mediaType, isBase64, payload, ok := imagefetch.SplitDataURL(u)
			if !isString || !ok {
				return nil, false
			}
			return jsonw.String(nil, dataRef("document", mediaType, payload, isBase64)), true
		}
		if name == "url" || name == "image_url" {
			// An image part's URL (image_url.url, input_image's image_url):
			// a data: URL is an image whatever type it declares (the
			// upload reads its bytes), and is referred to as one.
			u, _ := jsonscan.StringValue(v)
			if mediaType, isBase64, payload, ok := imagefetch.SplitDataURL(u); ok {
				return jsonw.String(nil, imageRef(mediaType, payload, isBase64)), true
			}
			return maskedImageURL(name, v)
		}
		if name != "data" {
			return maskedImageURL(name, v)
		}
		data, isString := jsonscan.StringValue(v)
		if kind, _ := obj.String("type"); !isString || kind != "base64" {
			return nil, false
		}
		mediaType, _ := obj.String("media_type")
		if !strings.HasPrefix(mediaType, "image/") {
			return jsonw.String(nil, dataRef("document", mediaType, data, true)), true
		}
		return jsonw.String(nil, imageRef(mediaType, data, true)), true
	},
	String: func(v []byte) ([]byte, bool) {
		url, _ := jsonscan.StringValue(v)
		// An image's data: URL; text that merely starts with "data:" (a
		// message saying "data:text/plain,…") is left as it is.
		if len(url) < len("data:image/") || !strings.EqualFold(url[:len("data:image/")], "data:image/") {
			return nil, false
		}
		mediaType, isBase64, payload, ok := imagefetch.SplitDataURL(url)
		if !ok {
			return nil, false
		}
		return jsonw.String(nil, imageRef(mediaType, payload, isBase64)), true
	},
}

// imageRef describes image data as the upload took it (decoded the same
// way, so that the record's size and digest are those of the bytes Qwen
// was sent): "[image image/png, 68 bytes, sha256:…]". Data that cannot be
// decoded (an image refused, recorded with its 400) is described as sent.
func imageRef(mediaType, payload string, isBase64 bool) string {
	return dataRef("image", mediaType, payload, isBase64)
}

// dataRef is imageRef for a kind of data: "[<kind> <type>, N bytes,
// sha256:…]", "[<kind>, N bytes, sha256:…]" for data of no declared type.
func dataRef(kind, mediaType, payload string, isBase64 bool) string {
	data, err := imagefetch.DataBytes(payload, isBase64)
	if err != nil {
		data = []byte(payload)
	}
	sum := sha256.Sum256(data)
	if mediaType != "" { // a data: URL may declare none
		kind += " " + mediaType
	}
	return fmt.Sprintf("[%s, %d bytes, sha256:%s]", kind, len(data), hex.EncodeToString(sum[:]))
}

// replayImages reads the history's images for a replay; one that can no
// longer be read (a URL gone) fails the turn, as the conversation would lose
// it silently otherwise.
func (s *Server) replayImages(ctx context.Context, t *turnSpec, msgs []qp.Message) ([]*imagefetch.Image, error) {
	all := historyImages(msgs)
	if len(all) == 0 {
		return nil, nil
	}
	images, apiErr := s.loadImages(ctx, all, cmp.Or(t.messagesParam, "messages"))
	if apiErr != nil {
		return nil, apiErr
	}
	return images, nil
}

// unsignedFiles is a completion body for the record: the query of each
// attached file's URL (an object-store signature, a temporary credential)
// is left out. Bodies without files are kept as sent.
func unsignedFiles(body []byte, hasFiles bool) []byte {
	if !hasFiles {
		return body
	}
	var req qwen.CompletionRequest
	if json.Unmarshal(body, &req) != nil || len(req.Messages) != 1 {
		return body
	}
	files, ok := req.Messages[0].Files, false
	for i, f := range files {
		m, isMap := f.(map[string]any)
		if !isMap {
			continue
		}
		if u, isStr := m["url"].(string); isStr {
			if base, _, found := strings.Cut(u, "?"); found {
				m["url"], ok = base, true
			}
		}
		files[i] = m
	}
	if !ok {
		return body
	}
	out, err := json.Marshal(&req)
	if err != nil {
		return body
	}
	return out
}
