package server

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/imagefetch"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// imageGenerations serves POST /v1/images/generations: the prompt goes to
// Qwen's image generation (chat type t2i) in a chat of its own; the answer
// is the image's URL, or its bytes (b64_json), which the proxy fetches. The
// wait (often tens of seconds) is padded with newlines before the JSON, and
// bounded by IMAGE_TIMEOUT.
func (s *Server) imageGenerations(w http.ResponseWriter, r *http.Request) {
	var req openai.ImageRequest
	d, ok := s.decodeCall(w, r, &req, openai.ImageFields)
	if !ok {
		return
	}
	v, apiErr := s.resolveModel(r.Context(), req.Model)
	if apiErr == nil {
		apiErr = refuseVariant(v, req.Model, false)
	}
	if apiErr == nil {
		apiErr = s.requireImageCapability(r.Context(), v.model, req.Model, false)
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	s.generateImage(c, v.model, req, nil)
}

// refuseVariant is the 400 for a variant an image endpoint does not do
// (edit: POST /v1/images/edits, else generations): -thinking or -search (an
// image neither thinks nor searches: Qwen's t2i and image_edit chat types
// have no such features, so what the name asks for would be dropped
// unseen), or the other endpoint's variant. The endpoint's own variant
// (-image, -image-edit), and the plain name, are what it does.
func refuseVariant(v variant, asked string, edit bool) *openai.Error {
	what, other := "image generation", "an image edit (-image-edit), which is POST /v1/images/edits"
	if edit {
		what, other = "image editing", "an image generation (-image), which is POST /v1/images/generations"
	}
	var msg string
	switch {
	case v.thinking || v.search:
		msg = fmt.Sprintf("the model %q asks for thinking or web search, which %s does not do; name the model itself (%q)", asked, what, v.model)
	case v.image && v.edit != edit:
		msg = fmt.Sprintf("the model %q asks for %s; name the model itself (%q)", asked, other, v.model)
	default:
		return nil
	}
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_variant_unsupported", Message: msg}
}

// requireImageCapability is the 400 for a model without image generation
// (or, edit, image editing); nil when it has it, or when Qwen's list cannot
// be had.
func (s *Server) requireImageCapability(ctx context.Context, model, asked string, edit bool) *openai.Error {
	caps, err := s.models.capabilities(ctx)
	if err != nil {
		return nil
	}
	c, listed := caps[model]
	if !listed {
		return nil
	}
	what := ""
	switch {
	case edit && !c.ImageEdit:
		what = "edit images (Qwen's model list gives it no image_edit chat type)"
	case !edit && !c.ImageGeneration:
		what = "generate images (Qwen's model list gives it no t2i chat type)"
	default:
		return nil
	}
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_capability_unsupported",
		Message: fmt.Sprintf("the model %q does not %s", cmp.Or(asked, model), what)}
}

// errImageTimeout is an image generation that outlasted IMAGE_TIMEOUT.
var errImageTimeout = &qwen.Error{Kind: qwen.KindTimeout, Message: "the image was not generated within IMAGE_TIMEOUT"}

// generateImage answers an image generation, or, with images, an image
// edit of them.
func (s *Server) generateImage(c *call, model string, req openai.ImageRequest, images []*imagefetch.Image) {
	if s.refusedUnrecordable(c) {
		return
	}
	defer s.finish(c)
	rq, rs := &c.ex.Request, &c.ex.Response
	rq.Model, rs.Model = cmp.Or(req.Model, model), model
	c.live.update(func(a *activeCall) { a.model, a.responseModel = rq.Model, rs.Model })
	if !s.admitKey(c) {
		return
	}
	stop := padWhileSlow(c, s.cfg.StreamKeepAlive)
	defer stop()
	ctx, cancel := context.WithTimeout(c.r.Context(), s.cfg.Capabilities.ImageTimeout)
	defer cancel()
	url, err := s.imageURL(ctx, c, model, req, images)
	var data []byte
	if err == nil && req.Base64(images != nil) {
		data, err = s.fetchGenerated(ctx, url)
	}
	s.givePlaceBack(c) // Qwen's part is done
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded && c.r.Context().Err() == nil {
			err = errImageTimeout
		}
		c.fail(classify(err))
		return
	}
	answer := openai.ImageResponse{Created: s.now().Unix(), Data: []openai.ImageDatum{{URL: url, RevisedPrompt: req.Prompt}}}
	record := answer
	if data != nil {
		answer.Data = []openai.ImageDatum{{B64JSON: base64.StdEncoding.EncodeToString(data), RevisedPrompt: req.Prompt}}
		// The record keeps the image's URL and size, not its bytes.
		record.Data = []openai.ImageDatum{{URL: url, B64JSON: fmt.Sprintf("[image %d bytes]", len(data)), RevisedPrompt: req.Prompt}}
	}
	c.wrote = true
	rs.HTTPStatus, rs.FinishReason = http.StatusOK, qp.FinishStop
	sent := writeJSON(c.w, http.StatusOK, answer)
	rs.OpenAIResponse = sent
	if data != nil {
		rs.OpenAIResponse, _ = json.Marshal(record) // strings and ints: cannot fail
	}
}

// imageURL asks Qwen for the image on the least recently used account; an
// account that fails it for its own reason (over its quota, refused, its
// token expired and not renewed) passes the call to the next, as a chat's
// first turn does: nothing but padding has reached the client.
func (s *Server) imageURL(ctx context.Context, c *call, model string, req openai.ImageRequest, images []*imagefetch.Image) (string, error) {
	tried := map[string]bool{}
	var last error
	for {
		account, err := s.nextAccount(tried, last)
		if err != nil {
			return "", err
		}
		actx := accounts.With(ctx, account)
		before, _ := s.deps.Accounts.Credentials(actx)
		url, err := s.imageOn(actx, c, model, req, images, account)
		if err != nil {
			var retry bool
			if retry, err = s.refresh(actx, account, before, err); retry {
				url, err = s.imageOn(actx, c, model, req, images, account) // signed in afresh
			}
		}
		if err == nil || ctx.Err() != nil {
			s.deps.Accounts.Report(account, err)
			return url, err
		}
		if !s.accountFault(account, err) { // reports it when it is the account's
			s.deps.Accounts.Report(account, err)
			return "", err
		}
		tried[account], last = true, err
	}
}

// imageOn asks for the image on account: a chat of type t2i (with images,
// image_edit, the images uploaded for it as a vision turn's are and
// attached to the message), one message, the image_gen phase's URL.
func (s *Server) imageOn(ctx context.Context, c *call, model string, req openai.ImageRequest, images []*imagefetch.Image, account string) (_ string, err error) {
	rq, rs := &c.ex.Request, &c.ex.Response
	rq.Account = account
	chatType := qwen.ChatTypeImage
	if len(images) > 0 {
		chatType = qwen.ChatTypeImageEdit
	}
	chatID, tried, err := s.deps.Upstream.NewChatOf(ctx, model, chatType)
	c.upstreamTried(&rs.NewChatAttempts, tried)
	if err != nil {
		return "", err
	}
	rs.ChatID = chatID
	files, err := s.attach(ctx, c, chatID, images)
	if err != nil {
		return "", err
	}
	qreq := qwen.NewCompletionRequest(chatID, "", model, s.now(), qwen.MessageSpec{Content: req.Prompt, ChatType: chatType, Files: files})
	qreq.Size, _ = openai.AspectRatio(req.Size) // validated
	stream, body, tried, err := s.deps.Upstream.Complete(ctx, qreq)
	rq.QwenRequest = unsignedFiles(body, len(files) > 0)
	c.upstreamTried(&rs.UpstreamAttempts, tried)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	ans := &translate.Answer{}
	for !ans.Finished {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			err = ans.Unfinished()
		}
		if err != nil {
			rs.QwenResponse = ans.UpstreamRecord()
			return "", err
		}
		if content, _ := ans.Add(ev); content != "" && rs.FirstTokenAt.IsZero() {
			c.firstToken(s.now())
		}
	}
	stream.Finish()
	rs.QwenResponse, rs.ParentID = ans.UpstreamRecord(), ans.Created.ParentID
	u := ans.Usage()
	rs.PromptTokens, rs.CompletionTokens, rs.TotalTokens = u.PromptTokens, u.CompletionTokens, u.TotalTokens
	if ans.Image() == "" {
		return "", ans.NoImage()
	}
	return ans.Image(), nil
}

// fetchGenerated reads the generated image from Qwen's URL, bounded by
// IMAGE_MAX_BYTES and IMAGE_FETCH_TIMEOUT. The URL is the answer's: at
// QWEN_BASE_URL's own host it is fetched as Qwen is called; anywhere else
// only from a public address (generatedClient), as the bytes go to the
// client — an answer naming a metadata service or any other address of the
// proxy's network had it read and handed over.
func (s *Server) fetchGenerated(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Capabilities.ImageFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return nil, &qwen.Error{Kind: qwen.KindBadResponse, Message: "the image URL Qwen gave is not an http(s) URL: " + imagefetch.Short(url)}
	}
	resp, err := s.generatedClient().Do(req)
	if blocked := (*imagefetch.BlockedError)(nil); errors.As(err, &blocked) {
		return nil, &qwen.Error{Kind: qwen.KindBadResponse, Message: "the image URL Qwen gave is not fetched: " + blocked.Error() +
			" (only QWEN_BASE_URL's host and public addresses are; response_format url gives the URL itself)"}
	}
	if err != nil {
		return nil, &qwen.Error{Kind: qwen.KindNetwork, Message: "cannot fetch the generated image", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &qwen.Error{Kind: qwen.KindServer, Status: resp.StatusCode, Message: "the generated image could not be fetched"}
	}
	max := s.cfg.Capabilities.ImageMaxBytes
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &qwen.Error{Kind: qwen.KindStreamCut, Message: "the generated image's download broke off", Err: err}
	}
	if int64(len(data)) > max {
		return nil, &qwen.Error{Kind: qwen.KindBadResponse, Message: fmt.Sprintf("the generated image is over IMAGE_MAX_BYTES (%d)", max)}
	}
	return data, nil
}

// generatedClient fetches a generated image: each request — the URL's,
// and each redirect's — at QWEN_BASE_URL's own host and port as Qwen is
// called, any other only from a public address (imagefetch.PublicTransport),
// so that neither the answer's URL nor a redirect from Qwen's host reaches
// inward.
func (s *Server) generatedClient() *http.Client {
	upstream, _ := neturl.Parse(s.cfg.UpstreamURL)
	return &http.Client{
		Transport: byHost{upstream: upstream, public: imagefetch.PublicTransport},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			return nil
		},
	}
}

// byHost sends a request to the upstream's own host and port through the
// default transport, any other through public.
type byHost struct {
	upstream *neturl.URL
	public   http.RoundTripper
}

func (b byHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.upstream != nil && b.upstream.Host != "" && sameHostPort(r.URL, b.upstream) {
		return http.DefaultTransport.RoundTrip(r)
	}
	return b.public.RoundTrip(r)
}

// sameHostPort reports whether a and b name one host and port (a default
// port as its scheme's).
func sameHostPort(a, b *neturl.URL) bool {
	port := func(u *neturl.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}
