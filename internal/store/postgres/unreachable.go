package postgres

import (
	"context"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err, from Open, says the server could not be
// reached or does not take connections yet — a state that passes by itself:
// the connection refused, reset or cut before the server answered, a name
// not resolved yet, a connect_timeout, or the server's own "the database
// system is starting up" (SQLSTATE 57P03), shutting down (57P01, 57P02), too
// many clients (53300) or a connection exception (class 08). A server started
// beside the proxy (a compose file, a host's boot) gives these for the
// seconds it takes to start.
//
// It is false for what waiting cannot change: a wrong password or user
// (28P01, 28000), a database or schema that does not exist (3D000, a
// search_path naming none), a URL that does not parse, a refused TLS
// setting.
func Unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return len(pgErr.Code) == 5 && pgErr.Code[:2] == "08"
	}
	var connect *pgconn.ConnectError
	if !errors.As(err, &connect) {
		return false // not from connecting: the URL, the search_path
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || (dialect{}).ConnectionLost(err)
}
