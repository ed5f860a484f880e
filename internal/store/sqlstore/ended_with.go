package sqlstore

import (
	"strings"

	qp "qwenproxy"
)

// planEndedWith has, on SQLite, the request list under an error type (and
// perhaps other filters but a session's), in its default order, read by the
// failed requests' index by error type and time (migration 0039), which
// holds the model, account and key too: a page passes at most the type's
// calls of its range, and the total counts them in the index alone. Left to
// choose, SQLite, which keeps no statistics, read a status's or a finish
// reason's index instead: under status success, every call that succeeded,
// each row read to test its error type. The other filters' conditions are
// written +col, which SQLite does not look up by index; the range's stay,
// the index's second column.
func planEndedWith(q *listQuery, f qp.CallFilter) {
	if f.ErrorType == "" || f.SessionID != "" || f.ClientSessionID != "" || q.sortCol != requestSorts[""] {
		return
	}
	ended := endedWith("q.")
	for i, c := range q.where.conds {
		if c != ended && !strings.HasPrefix(c, "+") && !strings.HasPrefix(c, "q.timestamp ") {
			q.where.conds[i] = "+" + c
		}
	}
}
