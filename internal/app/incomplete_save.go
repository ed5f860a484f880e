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

// warnSaves names the whole saves beside the database (see Saves): a server
// restarted after its file was deleted under it made a new, empty one and
// said nothing of the calls its predecessor saved, which the history then
// lacked without a word. Each is named at every start while it is there,
// with the copy that brings its calls in (calls already there are skipped,
// so running it twice does no harm).
func warnSaves(st *sqlstore.Store, log *slog.Logger) {
	if st.Backend() != "sqlite" {
		return
	}
	saved, err := sqlite.Saves(st.String())
	if err != nil {
		log.Warn("cannot look for saved histories beside the database", "err", err)
		return
	}
	for _, f := range saved {
		log.Warn("a saved history of a database file deleted or replaced under an earlier server: its calls are not in "+
			"this database until copied in; once they are, move the file away",
			"file", f, "copy", "qwenproxy copy --from sqlite:"+f+" --to sqlite:"+st.String())
	}
}
