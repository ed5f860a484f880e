package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// An export to a file that fails part-way (here a body it cannot read)
// leaves the file as it was: it was truncated, then held the calls before
// the failure, complete lines, so that a file that read like a whole
// export had replaced the last good one. A good export replaces it whole.
func TestAFailedExportLeavesTheFileAsItWas(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	st := storetest.Open(t, db)
	seedHistory(t, st, 30)
	if _, err := st.DB().Exec(`UPDATE request_bodies SET openai_request_z = X'ff00ff00' WHERE request_id = (SELECT id FROM requests WHERE request_id = 'req-00020')`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	output := filepath.Join(dir, "calls.jsonl")
	if err := os.WriteFile(output, []byte("last week's export\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOn(t, db, "export", "--output", output)
	if code != 1 || out != "" || errOut == "" {
		t.Fatalf("export of an unreadable body: exit %d, %q %q", code, out, errOut)
	}
	if got, err := os.ReadFile(output); err != nil || string(got) != "last week's export\n" {
		t.Errorf("a failed export left %s holding %d bytes (%v): %.200q", output, len(got), err, got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("a failed export left files behind: %v", names)
	}

	out, errOut, code = runOn(t, db, "export", "--output", output, "--no-bodies")
	if code != 0 || !strings.Contains(out, "exported 30 calls") {
		t.Fatalf("export: exit %d, %q %q", code, out, errOut)
	}
	got, err := os.ReadFile(output)
	if err != nil || strings.Count(string(got), "\n") != 30 || strings.Contains(string(got), "last week") {
		t.Errorf("the export holds %q (%v)", got, err)
	}
	if fi, err := os.Stat(output); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the export's mode: %v (%v), want the file's own, 0640", fi.Mode(), err)
	}
}

// A new export file, which holds every conversation it lists, is readable
// by its owner alone, as the database is: under the usual umask it was
// made 0644, readable by every user of the machine. Also through a link
// to no file yet; a file replaced keeps its own mode (above).
func TestANewExportFileIsReadableByItsOwnerAlone(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	st := storetest.Open(t, db)
	seedHistory(t, st, 3)
	st.Close()
	link := filepath.Join(dir, "latest.jsonl")
	if err := os.Symlink(filepath.Join(dir, "target.jsonl"), link); err != nil {
		t.Fatal(err)
	}
	for _, output := range []string{filepath.Join(dir, "calls.jsonl"), link} {
		if out, errOut, code := runOn(t, db, "export", "--output", output); code != 0 {
			t.Fatalf("export to %s: exit %d, %q %q", output, code, out, errOut)
		}
		if fi, err := os.Stat(output); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("a new export file %s: mode %v (%v), want 0600", output, fi.Mode(), err)
		}
	}
}
