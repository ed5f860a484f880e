package historyapi

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
)

// ExportWriter writes calls to w as an export in format: "jsonl", or "csv",
// whose header line comes first, also when no call follows. finish writes
// what is buffered and reports a write that failed. With flushRows each CSV
// row is flushed as it is written (the API streams its export).
func ExportWriter(w io.Writer, format string, flushRows bool) (write func(*qp.RequestRecord) error, finish func() error) {
	if format == "csv" {
		cw := csv.NewWriter(w)
		cw.Write(ExportCSVHeader)
		write = func(r *qp.RequestRecord) error {
			cw.Write(ExportCSVRow(r))
			if flushRows {
				cw.Flush()
			}
			return cw.Error()
		}
		return write, func() error { cw.Flush(); return cw.Error() }
	}
	enc := httpjson.NewEncoder(w)
	return func(r *qp.RequestRecord) error { return enc.Encode(ExportJSON(r)) }, func() error { return nil }
}

// ExportCSVHeader is the column list of CSV exports. api_key_id (the id of
// the proxy API key that made the call, never the key) stands before
// account, as in the JSON form; a call made without keys leaves it empty,
// as JSON's null. client_session_id (the client's own conversation id,
// empty for none) came last, after the columns of earlier versions.
var ExportCSVHeader = []string{"id", "request_id", "session_id", "timestamp", "path", "model", "stream", "status", "http_status",
	"finish_reason", "prompt_tokens", "completion_tokens", "total_tokens", "ttft_ms", "duration_ms", "upstream_attempts", "new_chat_attempts", "upstream_errors", "error_type", "error",
	"api_key_id", "account", "client_session_id"}

// ExportCSVRow is one call as a CSV record.
func ExportCSVRow(r *qp.RequestRecord) []string {
	row := []string{strconv.FormatInt(r.ID, 10), r.RequestID, r.SessionID, strconv.FormatInt(r.Timestamp.UnixMilli(), 10), r.Path, r.Model,
		strconv.FormatBool(r.Stream)}
	rs := r.Response
	if rs == nil {
		rs = &qp.ResponseRecord{}
	}
	ttft := ""
	if rs.TTFTMillis != nil {
		ttft = strconv.FormatFloat(*rs.TTFTMillis, 'f', -1, 64)
	}
	row = append(row, rs.Status, strconv.Itoa(rs.HTTPStatus), rs.FinishReason, strconv.Itoa(rs.PromptTokens),
		strconv.Itoa(rs.CompletionTokens), strconv.Itoa(rs.TotalTokens), ttft, strconv.FormatFloat(rs.DurationMillis, 'f', -1, 64),
		strconv.Itoa(rs.UpstreamAttempts), strconv.Itoa(rs.NewChatAttempts), rs.UpstreamErrors, rs.ErrorType, rs.Error, r.APIKeyID, r.Account, r.ClientSessionID)
	for i, cell := range row {
		row[i] = notFormula(cell)
	}
	return row
}

// notFormula puts a ' before a cell a spreadsheet would read as a formula:
// one that begins with =, +, -, @, a tab or a carriage return (OWASP's
// list). Clients choose the model name and much of an error's text, so an
// export opened in a spreadsheet could otherwise run what they sent
// (=HYPERLINK leaking the sheet, DDE). Spreadsheets show such a cell as
// the text after the quote; the numbers never begin with one.
func notFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// ExportJSON is one call as a JSONL line's object.
func ExportJSON(r *qp.RequestRecord) any { return Request(r, true) }

// exportParams are an export's format, bodies and filters.
type exportParams struct {
	format string
	bodies bool
	filter qp.CallFilter
}

// exportKeys are the query parameters of an export.
var exportKeys = keys([]string{"format", "bodies"}, filterKeys)

// exportParams reads an export's query (GET /v1/export's, and an export
// ticket's), answering its 400 itself.
func (a *API) exportParams(w http.ResponseWriter, r *http.Request) (exportParams, bool) {
	q, ok := query(w, r, exportKeys)
	if !ok {
		return exportParams{}, false
	}
	return a.exportParamsFrom(w, q)
}

// exportParamsFrom is exportParams of a query already read.
func (a *API) exportParamsFrom(w http.ResponseWriter, q url.Values) (exportParams, bool) {
	format, ok := given(q, "format")
	if !ok {
		format = "jsonl"
	}
	if format != "jsonl" && format != "csv" {
		writeError(w, openai.InvalidRequest("format", "invalid_format", "format must be jsonl or csv, not %q", format))
		return exportParams{}, false
	}
	bodies := format == "jsonl"
	switch v, ok := given(q, "bodies"); {
	case !ok, v == "true":
	case v == "false":
		bodies = false
	default:
		writeError(w, openai.InvalidRequest("bodies", "invalid_bodies", "bodies must be true or false, not %q", v))
		return exportParams{}, false
	}
	f, apiErr := CallFilterFrom(q, a.d.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return exportParams{}, false
	}
	return exportParams{format: format, bodies: bodies, filter: f}, true
}

// Export serves GET /v1/export?format=jsonl|csv: calls oldest first,
// streamed as they are read. JSONL carries bodies unless bodies=false.
func (a *API) Export(w http.ResponseWriter, r *http.Request) {
	p, ok := a.exportParams(w, r)
	if !ok {
		return
	}
	a.export(w, r, p, "qwenproxy-export."+p.format)
}

// export streams the export p as a file named filename.
// exportHeaders are an export's headers: its type by format, and its file
// name.
func exportHeaders(h http.Header, format, filename string) {
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	// The history is for no cache to keep: a download's link is used once,
	// and a cache in front of the proxy would serve it again.
	h.Set("Cache-Control", "no-store")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
}

func (a *API) export(w http.ResponseWriter, r *http.Request, p exportParams, filename string) {
	format, bodies, f := p.format, p.bodies, p.filter
	rc := http.NewResponseController(w)
	n, sent, clientFailed := 0, false, false
	exportHeaders(w.Header(), format, filename)
	// A CSV header line waits in the writer's buffer for the first row, or
	// for the end: an export that fails before any row can still say so.
	write, finish := ExportWriter(w, format, true)
	_ = CaughtUp(r.Context(), a.d.Recorder)
	// An export may rightly take minutes (a year of calls with bodies), so
	// ReadTimeout bounds each wait for the database instead of the whole:
	// the clock runs while the store owes the next row (a page of 500 is
	// read at a time) and stops while a row goes to the client, whom
	// WRITE_TIMEOUT bounds. A database that stops answering mid-export held
	// it, and a pool connection, for as long as the client waited.
	ctx, stop := context.WithCancelCause(r.Context())
	defer stop(nil)
	var clock *time.Timer
	if d := a.d.ReadTimeout; d > 0 {
		timedOut := a.readTimedOut()
		clock = time.AfterFunc(d, func() { stop(timedOut) })
		defer clock.Stop()
	}
	err := a.d.History.Export(ctx, f, bodies, func(rec *qp.RequestRecord) error {
		if clock != nil {
			clock.Stop()
			defer clock.Reset(a.d.ReadTimeout)
		}
		sent = true
		if err := write(rec); err != nil {
			clientFailed = true // the client left or stopped reading (WRITE_TIMEOUT)
			return err
		}
		n++
		if n%200 == 0 {
			rc.Flush()
		}
		return nil
	})
	if cause := context.Cause(ctx); err != nil && ctx.Err() != nil && r.Context().Err() == nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	if err != nil && !sent {
		// Nothing has gone out: the status can still say what happened.
		w.Header().Del("Content-Disposition")
		a.storeFailed(w, r, err)
		return
	}
	if err == nil {
		err = finish()
	}
	if err != nil {
		// The status line has gone: all we can do is log, and cut the
		// response rather than end it: ended, it read as a whole export
		// (a last line like any other), and a client could not tell that
		// rows were missing.
		if clientFailed || r.Context().Err() != nil {
			// The client left: nothing failed here.
			a.d.Log.Debug("export stopped: the client left", "rows", n, "err", err)
		} else {
			a.d.Log.Error("export stopped", "rows", n, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}
