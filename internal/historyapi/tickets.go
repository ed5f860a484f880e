package historyapi

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
)

// Export tickets let a web page download an export by a plain link, which
// the browser writes to a file as it arrives: the dashboard fetched the
// export itself and held it whole in the tab (a year of calls is
// gigabytes), because a link cannot carry the Authorization header and the
// key must never be in a URL. An authenticated POST (an admin route) makes
// a ticket for one export's filters; the ticket's URL, which names no key,
// serves that export once, within TicketLifetime. Tickets are kept in the
// database (hashed), so any instance sharing it serves the link.
const (
	// DownloadPrefix is where a ticket's export is served; outside /v1,
	// as the ticket is its own credential.
	DownloadPrefix = "/downloads/"
	// TicketLifetime is how long a ticket waits for its download: the
	// dashboard follows its link at once.
	TicketLifetime = time.Minute
	// MaxTickets bounds the tickets waiting at once (their rows).
	MaxTickets = 16
)

// ticketHash is how a ticket is stored and looked up: its SHA-256, so the
// database never holds a usable link.
func ticketHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// ExportTicket serves POST /v1/export/tickets, with the query
// GET /v1/export takes and, optionally, the downloaded file's name
// (filename): it checks the query as the export would and answers
// 201 {"url": "/downloads/…", "expires_at": ms}; 429 when MaxTickets wait.
func (a *API) ExportTicket(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, keys(exportKeys, []string{"filename"}))
	if !ok {
		return
	}
	filename, named := q.Get("filename"), q.Has("filename")
	if named && !safeFilename.MatchString(filename) {
		writeError(w, openai.InvalidRequest("filename", "invalid_filename",
			"filename must be 1-200 letters, digits, '.', '_' or '-', not beginning with '.'"))
		return
	}
	q.Del("filename")
	if _, ok := a.exportParamsFrom(w, q); !ok {
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := a.d.Now()
	first, err := a.d.Tickets.AddExportTicket(r.Context(), qp.ExportTicket{Hash: ticketHash(id), Query: q.Encode(), Filename: filename,
		KeyID: auth.FromContext(r.Context()).KeyID, ExpiresAt: now.Add(TicketLifetime)}, now, MaxTickets)
	if errors.Is(err, qp.ErrTooManyTickets) {
		wait := min(max(first.Sub(now), time.Second), TicketLifetime)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeError(w, &openai.Error{Status: http.StatusTooManyRequests, Type: openai.TypeRateLimit, Code: "too_many_export_tickets",
			Message: "too many export tickets are waiting for their download; use one, or try again once one has expired"})
		return
	}
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusCreated, map[string]any{"url": DownloadPrefix + id, "expires_at": now.Add(TicketLifetime).UnixMilli()})
}

// Download serves GET /downloads/{ticket}: the ticket's export, exactly as
// GET /v1/export answers its query, once. A HEAD does not use it up (a
// browser or a link checker may ask first). A ticket that is unknown,
// used or expired is a 404; one whose key has since been deleted, a 403.
func (a *API) Download(w http.ResponseWriter, r *http.Request) {
	// The ticket's lookup is bounded as a read is (see bound); the export
	// it serves has its own bound (see export).
	lookup, done := a.bound(r)
	defer done()
	t, err := a.d.Tickets.TakeExportTicket(lookup.Context(), ticketHash(r.PathValue("ticket")), a.d.Now(), r.Method == http.MethodHead)
	if err != nil && !errors.Is(err, qp.ErrNotFound) {
		a.storeFailed(w, lookup, err)
		return
	}
	if err != nil {
		writeError(w, &openai.Error{Status: http.StatusNotFound, Type: openai.TypeNotFound, Code: "export_ticket_not_found",
			Message: "this export link is unknown, used or expired; export again"})
		return
	}
	if a.d.KeyValid != nil && !a.d.KeyValid(lookup.Context(), t.KeyID) {
		writeError(w, &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Code: "export_ticket_key_revoked",
			Message: "the API key that asked for this export no longer may; export again with a valid key"})
		return
	}
	done()
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = t.Query
	p, ok := a.exportParams(w, r2)
	if !ok {
		return
	}
	filename := cmp.Or(t.Filename, "qwenproxy-export."+p.format)
	if r.Method == http.MethodHead { // the GET's headers, without its rows
		exportHeaders(w.Header(), p.format, filename)
		w.WriteHeader(http.StatusOK)
		return
	}
	a.export(w, r2, p, filename)
}

// safeFilename is a download's name that needs no quoting in
// Content-Disposition and names no directory.
var safeFilename = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$`)
