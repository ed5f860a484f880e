package dashboard

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /ui/{path...}", Handler())
	mux.HandleFunc("GET /{$}", Redirect)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// The pages, their scripts and the vendored chart library are served from
// the binary, under a policy that lets no other script run; any other path
// under /ui/ is the app (it routes by fragment); / redirects.
func TestServesTheEmbeddedDashboard(t *testing.T) {
	for path, want := range map[string]string{
		"/ui/":                               "<title>qwenproxy</title>",
		"/ui/#/calls":                        "<title>qwenproxy</title>",
		"/ui/no/such/page":                   "<title>qwenproxy</title>",
		"/ui/js/app.js":                      "setAuthFailureHandler",
		"/ui/style.css":                      ".msg.tool",
		"/ui/vendor/uplot/uPlot.iife.min.js": "uPlot",
		"/ui/vendor/uplot/LICENSE":           "MIT",
		"/ui/vendor/uplot/VERSION":           "uplot 1.6.32",
	} {
		rec := get(t, path)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d, want a body with %q", path, rec.Code, want)
			continue
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	// Whatever reaches the handler stays inside the embedded tree.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/ui/", nil)
	req.URL.Path = "/ui/../../../etc/passwd"
	Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<title>qwenproxy</title>") {
		t.Errorf("a path out of the tree: %d %.80s", rec.Code, rec.Body.String())
	}
	// A missing asset is a 404, never the page served as a script.
	for _, missing := range []string{"/ui/nope.js", "/ui/js/old-module.js", "/ui/vendor/x.css"} {
		if rec := get(t, missing); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d %q, want 404", missing, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if ct := get(t, "/ui/js/app.js").Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js served as %q", ct)
	}
	if rec := get(t, "/"); rec.Code != http.StatusFound || rec.Header().Get("Location") != Prefix {
		t.Errorf("/: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// Every module the pages import is embedded, and no page puts the key in a
// URL or uses EventSource (which cannot send a header).
func TestScriptsKeepTheKeyOutOfURLs(t *testing.T) {
	err := fs.WalkDir(files, "static/js", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		src := string(b)
		for _, bad := range []string{"EventSource", "localStorage", "innerHTML", "?key=", "api_key="} {
			if strings.Contains(src, bad) {
				t.Errorf("%s uses %s", path, bad)
			}
		}
		for _, line := range strings.Split(src, "\n") {
			if i := strings.Index(line, `from "./`); i >= 0 {
				name := line[i+len(`from "./`):]
				name = name[:strings.Index(name, `"`)]
				if _, err := fs.Stat(files, "static/js/"+name); err != nil {
					t.Errorf("%s imports %s, which is not embedded", path, name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
