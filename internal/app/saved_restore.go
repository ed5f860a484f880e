package app

import (
	"log/slog"

	"qwenproxy/internal/store/sqlite"
)

// logRestored says what the open of a SQLite file it made brought in from
// the save of an earlier file deleted under a server (sqlite.Open does it,
// for serve as for every command), and returns the migrations it applied.
// The calls stay for the copy it names, which warnSaves names too.
func logRestored(r sqlite.RestoredSave, log *slog.Logger) int {
	log.Info("brought the settings of a saved history into the new database file: its calls are not in it until copied",
		"file", r.From, "api_keys", r.Keys, "accounts", r.Accounts, "credentials", r.Credentials,
		"requests_after_id", r.Floors["requests"], "copy", r.Copy())
	return r.Migrations
}
