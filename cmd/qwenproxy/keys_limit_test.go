package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// A key's limit on calls in flight is set when it is made (keys add
// --max-concurrent) and changed after (keys limit ID --max-concurrent, 0 for
// none); keys ls shows it. A bad value is refused and changes nothing.
func TestKeysConcurrencyLimit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, errOut, code := runCLI(t, db, "keys", "add", "--name", "agent", "--max-concurrent", "3", "--json")
	var added map[string]any
	if err := json.Unmarshal([]byte(out), &added); err != nil || code != 0 || added["max_concurrent"] != float64(3) {
		t.Fatalf("keys add: %d %s %s", code, out, errOut)
	}
	id := added["id"].(string)
	limits := func() map[string]any {
		t.Helper()
		out, errOut, code := runCLI(t, db, "keys", "ls", "--json")
		var keys []map[string]any
		if err := json.Unmarshal([]byte(out), &keys); err != nil || code != 0 {
			t.Fatalf("keys ls: %d %s %s", code, out, errOut)
		}
		got := map[string]any{}
		for _, k := range keys {
			got[k["id"].(string)] = k["max_concurrent"]
		}
		return got
	}
	if got := limits(); got[id] != float64(3) {
		t.Fatalf("after add: %v", got)
	}
	if out, _, _ := runCLI(t, db, "keys", "ls"); !strings.Contains(out, "MAX CONCURRENT") {
		t.Fatalf("keys ls: %s", out)
	}
	for _, bad := range [][]string{
		{"keys", "add", "--max-concurrent", "-1"},
		{"keys", "add", "--max-concurrent", "many"},
		{"keys", "limit", id, "--max-concurrent", "-2"},
		{"keys", "limit", id},
		{"keys", "limit", "--max-concurrent", "2"},
		{"keys", "limit", "key-nope", "--max-concurrent", "2"},
	} {
		if _, errOut, code := runCLI(t, db, bad...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
	if got := limits(); len(got) != 1 || got[id] != float64(3) {
		t.Fatalf("after refused commands: %v", got)
	}
	// A negative value given is named as such, not taken for none given
	// (-1 was the flag's "not given").
	// It is a value the command cannot take: exit 1, as --limit 0 is.
	for _, cmd := range [][]string{{"keys", "limit", id, "--max-concurrent", "-1"}, {"keys", "add", "--max-concurrent", "-1"}} {
		if _, errOut, code := runCLI(t, db, cmd...); code != 1 || !strings.Contains(errOut, "not -1") {
			t.Errorf("%q: exit %d %s", cmd, code, errOut)
		}
	}
	if out, errOut, code := runCLI(t, db, "keys", "limit", id, "--max-concurrent", "5"); code != 0 || !strings.Contains(out, "5") {
		t.Fatalf("keys limit: %d %s %s", code, out, errOut)
	}
	if got := limits(); got[id] != float64(5) {
		t.Fatalf("after limit 5: %v", got)
	}
	if out, errOut, code := runCLI(t, db, "keys", "limit", id, "--max-concurrent", "0", "--json"); code != 0 || !strings.Contains(out, `"max_concurrent": 0`) {
		t.Fatalf("keys limit 0: %d %s %s", code, out, errOut)
	}
	if got := limits(); got[id] != float64(0) {
		t.Fatalf("after limit 0: %v", got)
	}
}

// --max-concurrent is read in decimal, as the history's --limit is: 0x10 was
// 16 and 010 was 8 (the flag package's hex and octal). 010 is 10; 0x10 is
// refused as a value the flag cannot take, with nothing stored.
func TestKeysMaxConcurrentIsDecimal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, errOut, code := runCLI(t, db, "keys", "add", "--max-concurrent", "010", "--json")
	if code != 0 || !strings.Contains(out, `"max_concurrent": 10`) {
		t.Fatalf("keys add --max-concurrent 010: exit %d, %s %s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, db, "keys", "add", "--max-concurrent", "0x10")
	if code != 2 || !strings.Contains(errOut, `"0x10"`) || out != "" {
		t.Errorf("keys add --max-concurrent 0x10: exit %d, %s %s", code, out, errOut)
	}
	if out, _, _ := runCLI(t, db, "keys", "ls", "--json"); strings.Count(out, `"id"`) != 1 {
		t.Errorf("keys after the refusal: %s", out)
	}
}
