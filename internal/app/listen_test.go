package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A port another program holds is refused saying what to do (another PORT,
// or stop the other program), not with the kernel's words alone ("bind:
// address already in use"), and nothing is created: no database.
func TestAPortInUseIsRefusedSayingWhatToDo(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)
	db := filepath.Join(t.TempDir(), "q.db")
	vars := map[string]string{"PORT": port, "DATABASE_PATH": db}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		a.Shutdown(context.Background())
		t.Fatal("a server started on a port another program holds")
	}
	for _, want := range []string{"listen on 127.0.0.1:" + port, "already listens on port " + port, "PORT or --port", "address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if _, statErr := os.Stat(db); !os.IsNotExist(statErr) {
		t.Errorf("the refused start made %s: %v", db, statErr)
	}
}
