package historyapi

import (
	"net/http"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// An export — the history, bodies and all — is not for any cache to keep:
// a download's link is its own credential, used once, and a cache in front
// of the proxy (a reverse proxy's, a CDN's, the browser's disk cache) that
// stored its answer served it again to whoever had the link, or left the
// history on a disk. Every export answers Cache-Control: no-store, the
// download's HEAD too.
func TestAnExportIsNotKeptByCaches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ts, _ := newTicketServer(t, dbURL, true)
		for _, query := range []string{"?format=csv", ""} {
			if status, h, _ := ts.do(t, "GET", "/v1/export"+query, ""); status != 200 || h.Get("Cache-Control") != "no-store" {
				t.Errorf("GET /v1/export%s: %d, Cache-Control %q, want no-store", query, status, h.Get("Cache-Control"))
			}
			url := ts.ticket(t, query, "key-a")
			for _, method := range []string{http.MethodHead, http.MethodGet} {
				if status, h, _ := ts.do(t, method, url, ""); status != 200 || h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s of a download%s: %d, Cache-Control %q, want no-store", method, query, status, h.Get("Cache-Control"))
				}
			}
		}
	})
}
