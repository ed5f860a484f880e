package metrics

import (
	"net/http"
	"strconv"
)

// Labels fed by client input are bounded to a known set, else every distinct
// value a client sends would become a series kept forever. The route label
// is the matched route pattern (or "other"), the status label the proxy's
// own; the method is the client's.

// MethodLabel is method if HTTP defines it, else "other".
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// StatusAborted is the status label of a response cut after its status
// went out (its handler panicked with http.ErrAbortHandler: an export whose
// database failed mid-way): the client got neither the whole body nor an
// error status, so it is counted as neither that status nor a success.
const StatusAborted = "aborted"

// StatusClientClosed is the status label of a request whose client left
// before any answer went out (nginx's 499, "client closed request"), as
// its call's record has it (http_status 499).
const StatusClientClosed = "499"

// StatusLabel is an HTTP status code as a label; anything outside 100–599
// is "other".
func StatusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}
