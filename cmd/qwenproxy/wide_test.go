package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/width"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A table stays aligned when a cell holds text a terminal draws wider or
// narrower than one column a character: a model name a client chose
// (claude-* is taken and recorded as asked) in Japanese, an emoji, an
// accent written as a combining mark. text/tabwriter counted characters,
// so every column after such a cell was shifted on its row.
func TestTablesAlignWideAndCombiningText(t *testing.T) {
	storetest.Each(t, testTablesAlignWideAndCombiningText)
}

func testTablesAlignWideAndCombiningText(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	models := []string{"claude-テスト版", "qwen3-max", "claude-🎉", "claude-cafe\u0301"}
	var batch qp.Batch
	for i, model := range models {
		ts := at.Add(time.Duration(i) * time.Minute)
		batch.Exchanges = append(batch.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("req-%d", i), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: model},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: ts.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				Model: "qwen3-max", Duration: time.Second},
		})
	}
	if err := st.WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOn(t, dbURL, "requests", "ls")
	if code != 0 || strings.Count(out, "\n") != 1+len(models) {
		t.Fatalf("requests ls: exit %d, %q %q", code, out, errOut)
	}
	assertAligned(t, out)
}

// keys ls: a key's name is the operator's, in any script.
func TestKeysTableAlignsWideNames(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	for _, name := range []string{"ラップトップ", "laptop"} {
		if out, errOut, code := runCLI(t, db, "keys", "add", "--name", name); code != 0 {
			t.Fatalf("keys add: %d %s %s", code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, db, "keys", "ls")
	if code != 0 {
		t.Fatalf("keys ls: %d %s %s", code, out, errOut)
	}
	assertAligned(t, out)
}

// assertAligned checks that every row's cells start at the terminal columns
// where the header's do. A cell starts after two spaces or more (the
// tables' padding; cells hold single spaces, as in a time).
func assertAligned(t *testing.T, table string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	header := cellStarts(lines[0])
	for _, line := range lines[1:] {
		got := cellStarts(line)
		if len(got) > len(header) || fmt.Sprint(got) != fmt.Sprint(header[:len(got)]) {
			t.Errorf("cells of %q start at columns %v, the header's at %v:\n%s", line, got, header, table)
		}
	}
}

// cellStarts gives the terminal column at which each cell of line starts,
// counting East Asian wide and fullwidth characters as two columns and
// combining marks as none.
func cellStarts(line string) []int {
	var starts []int
	col, spaces := 0, 2
	for _, r := range line {
		if r == ' ' {
			spaces++
			col++
			continue
		}
		if spaces >= 2 {
			starts = append(starts, col)
		}
		spaces = 0
		switch k := width.LookupRune(r).Kind(); {
		case k == width.EastAsianWide || k == width.EastAsianFullwidth:
			col += 2
		case r >= 0x300 && r <= 0x36f: // combining diacritical marks
		default:
			col++
		}
	}
	return starts
}
