package imagefetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
)

// Kind is what a fetch is for: the images of vision input, or another
// kind of file a client names by URL (a document). Every kind is fetched
// under the same policy (ALLOW_IMAGE_URLS) and protections; each has its
// own size bound, and the client is told which kind and which setting.
type Kind struct {
	Noun     string // "image", "document": what the client is told of
	Accept   string // the request's Accept header
	MaxBytes int64
	Limit    string // the setting that gives MaxBytes: IMAGE_MAX_BYTES, …
	Inline   string // how to send it inline instead, for the policy's refusal
}

// Fetched is the body of an http(s) URL, not yet checked to be what its
// kind must be.
type Fetched struct {
	Data        []byte
	ContentType string // the Content-Type header as the server gave it
	Name        string // the last element of the URL's path
}

// imageKind is what Get fetches.
func (f *Fetcher) imageKind() Kind {
	return Kind{Noun: "image", Accept: "image/*", MaxBytes: f.MaxBytes, Limit: "IMAGE_MAX_BYTES",
		Inline: "a data: URL (Anthropic: a base64 source)"}
}

// Fetches reports whether the policy allows fetching http(s) URLs at all
// (ALLOW_IMAGE_URLS=true or loopback): under DataOnly, Fetch refuses every
// URL at once, without the network.
func (f *Fetcher) Fetches() bool { return f.Policy == Public || f.Policy == Loopback }

// Fetch reads the http(s) URL u when the policy allows fetching, within
// the Fetcher's timeout and k.MaxBytes, never from an address the policy
// does not allow. Failures are *Error.
func (f *Fetcher) Fetch(ctx context.Context, u string, k Kind) (*Fetched, error) {
	short := Short(u)
	if !f.Fetches() {
		return nil, &Error{short, fmt.Sprintf("%s URLs are not fetched (set ALLOW_IMAGE_URLS=true to allow it); send the %s inline: %s", k.Noun, k.Noun, k.Inline)}
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, &Error{short, "not an http(s) URL"}
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{short, "not a URL: " + err.Error()}
	}
	req.Header.Set("Accept", k.Accept)
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{short, fmt.Sprintf("not fetched within %s", f.Timeout)}
		}
		return nil, &Error{short, "cannot be fetched: " + cause(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{short, fmt.Sprintf("the server answered %d", resp.StatusCode)}
	}
	if resp.ContentLength > k.MaxBytes {
		return nil, &Error{short, fmt.Sprintf("the %s is %d bytes, over %s (%d)", k.Noun, resp.ContentLength, k.Limit, k.MaxBytes)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, k.MaxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{short, fmt.Sprintf("not fetched within %s", f.Timeout)}
		}
		return nil, &Error{short, "the download broke off: " + cause(err)}
	}
	if int64(len(data)) > k.MaxBytes {
		return nil, &Error{short, fmt.Sprintf("the %s is over %s (%d)", k.Noun, k.Limit, k.MaxBytes)}
	}
	return &Fetched{Data: data, ContentType: resp.Header.Get("Content-Type"), Name: path.Base(pu.Path)}, nil
}
