package app

import (
	"log/slog"

	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// warnIncompleteSaves names the saves of a deleted SQLite file that a
// server stopped while writing them left beside the database: an operator
// looking for the saved history must not copy one back. They are left in
// place (the operator removes them): one may be a save that another
// server, still holding the deleted file, is writing.
func warnIncompleteSaves(st *sqlstore.Store, log *slog.Logger) {
	if st.Backend() != "sqlite" {
		return
	}
	partial, err := sqlite.IncompleteSaves(st.String())
	if err != nil {
		log.Warn("cannot look for incomplete saves beside the database", "err", err)
		return
	}
	for _, f := range partial {
		log.Warn("an incomplete save of a deleted database file, left by a server stopped while it wrote it: "+
			"not a copy of the history (only whole saves are named .saved-); remove it", "file", f)
	}
}
