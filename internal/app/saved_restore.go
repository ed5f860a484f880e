package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// newestSave is the newest whole save beside the SQLite file at path (see
// sqlite.Saves; their names end in a sortable UTC time), "" for none.
func newestSave(path string) (string, error) {
	saved, err := sqlite.Saves(path)
	if err != nil || len(saved) == 0 {
		return "", err
	}
	slices.Sort(saved)
	return saved[len(saved)-1], nil
}

// restoreSaved brings into st — a SQLite file this start made, where an
// earlier server's file was deleted or replaced under it — the settings of
// the newest save of that file (sqlstore.RestoreSettings): restarted
// without them, the proxy served with none of its stored API keys (open to
// anyone, said only by /health's "api_keys":"none"), none of its Qwen
// accounts, and gave the saved calls' numeric ids again. It migrates st
// first (the new file has no tables) and returns the migrations applied.
// A save it cannot read (damaged, another schema) fails the start: the
// proxy does not serve without keys it knew of, and the error says what
// to do. The calls stay for `qwenproxy copy`, which warnSaves names.
func restoreSaved(ctx context.Context, st *sqlstore.Store, log *slog.Logger) (int, error) {
	saved, err := newestSave(st.String())
	if err != nil || saved == "" {
		return 0, err
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		return 0, err
	}
	got, err := restoreFrom(ctx, saved, st)
	if err != nil {
		return n, fmt.Errorf("%s, the saved history of a database file deleted under an earlier server, cannot be read, and the proxy does not "+
			"start without its API keys, Qwen accounts and credentials: bring them into the new %s: %w; "+
			"copy them with `qwenproxy copy --from sqlite:%s --to sqlite:%s` (which reads an older schema too) and start again, "+
			"or move %s out of the directory to start without them", saved, st.String(), err, saved, st.String(), saved)
	}
	log.Info("brought the settings of a saved history into the new database file: its calls are not in it until copied",
		"file", saved, "api_keys", got.Keys, "accounts", got.Accounts, "credentials", got.Credentials,
		"requests_after_id", got.Floors["requests"], "copy", "qwenproxy copy --from sqlite:"+saved+" --to sqlite:"+st.String())
	return n, nil
}

// restoreFrom opens the save at path without changing it and brings its
// settings into st. A save of another schema than st's is refused: its
// tables may lack a column the settings are read from.
func restoreFrom(ctx context.Context, path string, st *sqlstore.Store) (sqlstore.Restored, error) {
	src, err := sqlite.OpenReadOnly(ctx, path, sqlite.Options{})
	if err != nil {
		return sqlstore.Restored{}, err
	}
	defer src.Close()
	status, err := src.MigrationStatus(ctx)
	if err != nil {
		return sqlstore.Restored{}, err
	}
	if err := sqlstore.RefuseSchema(status); err != nil {
		return sqlstore.Restored{}, err
	}
	if i := slices.IndexFunc(status, func(m sqlstore.MigrationStatus) bool { return m.AppliedAt.IsZero() }); i >= 0 {
		return sqlstore.Restored{}, fmt.Errorf("its schema is older than this qwenproxy's (migration %d, %s, not applied)", status[i].Version, status[i].Name)
	}
	return sqlstore.RestoreSettings(ctx, src, st)
}
