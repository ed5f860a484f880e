package imagefetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// docKind is what a document fetch asks for.
var docKind = Kind{Noun: "document", Accept: "application/pdf, text/plain", MaxBytes: 16, Limit: "DOCUMENT_MAX_BYTES", Inline: "base64"}

// Fetch reads any allowed kind of file by URL under the images' policy and
// protections, with the kind's own bound, and names the kind and its
// setting in what it says: a document by URL was refused outright.
func TestFetchTakesAnyKindUnderThePolicy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/docs/a.pdf":
			if r.Header.Get("Accept") != docKind.Accept {
				http.Error(w, "accept", http.StatusNotAcceptable)
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.4 small"))
		case "/big.pdf":
			w.Write([]byte("%PDF-1.4 " + strings.Repeat("x", 100)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	_, err := New(DataOnly, 0, time.Second).Fetch(ctx, srv.URL+"/docs/a.pdf", docKind)
	wantError(t, err, "document URLs are not fetched (set ALLOW_IMAGE_URLS=true to allow it)")
	_, err = New(Public, 0, time.Second).Fetch(ctx, srv.URL+"/docs/a.pdf", docKind)
	wantError(t, err, "never fetched")

	f := New(Loopback, 8, time.Second) // the image bound is not the document's
	got, err := f.Fetch(ctx, srv.URL+"/docs/a.pdf", docKind)
	if err != nil || string(got.Data) != "%PDF-1.4 small" || got.ContentType != "application/pdf" || got.Name != "a.pdf" {
		t.Fatalf("%+v %v", got, err)
	}
	_, err = f.Fetch(ctx, srv.URL+"/big.pdf", docKind)
	wantError(t, err, "over DOCUMENT_MAX_BYTES (16)")
	_, err = f.Fetch(ctx, srv.URL+"/gone.pdf", docKind)
	wantError(t, err, "answered 404")
	_, err = f.Fetch(ctx, "ftp://example.com/a.pdf", docKind)
	wantError(t, err, "not an http(s) URL")
}
