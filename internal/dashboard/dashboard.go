// Package dashboard serves the web dashboard: static files embedded in the
// binary (plain HTML, CSS and JavaScript, and the vendored uPlot charting
// library), no build step. The pages hold no data: they read the history API
// with the key the person types in, so the files themselves need no key.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Prefix is where the dashboard is served.
const Prefix = "/ui/"

// Handler serves the dashboard's files under Prefix; any path that is not a
// file gets index.html (the pages route by the URL's fragment).
func Handler() http.Handler {
	root, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	server := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, Prefix)), "/")
		if st, err := fs.Stat(root, name); name == "" || err != nil || st.IsDir() {
			if path.Ext(name) != "" {
				// A file the dashboard does not have (a stale or mistyped
				// asset): a 404, not the page in its place.
				http.NotFound(w, r)
				return
			}
			name = "index.html" // the pages' own paths
		}
		h := w.Header()
		// The pages load only their own files and talk only to this server;
		// the key lives in sessionStorage, so no other script may run.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		if name == "index.html" {
			r2.URL.Path = "/" // FileServer redirects /index.html to ./
		}
		server.ServeHTTP(w, r2)
	})
}

// Redirect sends / and /ui to the dashboard.
func Redirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Prefix, http.StatusFound)
}
