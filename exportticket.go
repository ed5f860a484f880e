package qwenproxy

import (
	"context"
	"errors"
	"time"
)

// ExportTicket is a one-time link to an export (the dashboard's downloads),
// kept in the database so that any instance sharing it can serve the link.
type ExportTicket struct {
	Hash      string // hex SHA-256 of the ticket: the ticket itself is never stored
	Query     string // the export's query, checked when the ticket was made
	Filename  string // the download's file name ("": the export's)
	KeyID     string // the key that asked for it ("" without keys)
	ExpiresAt time.Time
}

// ErrTooManyTickets is AddExportTicket's refusal when as many tickets as
// allowed wait already.
var ErrTooManyTickets = errors.New("too many export tickets are waiting")

// ExportTicketStore keeps the export tickets waiting for their download.
type ExportTicketStore interface {
	// AddExportTicket stores t, deleting the tickets expired at now,
	// unless max unexpired ones wait: then it returns ErrTooManyTickets and
	// when the first of them expires.
	AddExportTicket(ctx context.Context, t ExportTicket, now time.Time, max int) (time.Time, error)
	// TakeExportTicket returns the ticket of hash unexpired at now and,
	// unless peek, deletes it in the same statement, so that it serves
	// once across instances; ErrNotFound if there is none.
	TakeExportTicket(ctx context.Context, hash string, now time.Time, peek bool) (ExportTicket, error)
}
