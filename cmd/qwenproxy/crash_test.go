package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// startBinary runs `qwenproxy serve --mock-upstream` on db and returns its
// address.
func startBinary(t *testing.T, bin, db string) (*exec.Cmd, string) {
	t.Helper()
	return runServe(t, bin, []string{"--mock-upstream", "--database-path", db}, "QWEN_TOKEN=", "QWEN_COOKIES=")
}

// runServe runs `qwenproxy serve --port 0` with more flags and environment,
// and returns its address once it listens.
func runServe(t *testing.T, bin string, args []string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--port", "0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "LOG_FORMAT=json"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	var seen []string
	for lines.Scan() {
		var entry struct{ Msg, Addr string }
		seen = append(seen, lines.Text())
		if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "listening" {
			go io.Copy(io.Discard, stderr)
			return cmd, entry.Addr
		}
	}
	t.Fatalf("server never said where it listens:\n%s", strings.Join(seen, "\n"))
	return nil, ""
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "qwenproxy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
