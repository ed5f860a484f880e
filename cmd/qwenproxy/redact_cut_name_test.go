package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A session's name is its first message cut to qp.FirstUserMessageMax
// bytes; one whose cut came within a secret keeps only the secret's start,
// which history redact, looking for the value whole, left there (a fresh
// walk, 2026-12-06: `… hunter2` of `hunter2PASSWORDxyz`). Its start at the
// end of a cut name is masked now; the same start in a name that was not
// cut, and a start of under redact.MinCutTail bytes, are left.
func TestHistoryRedactMasksASecretTheNamesCutCameWithin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		const secret = "hunter2PASSWORDxyz"
		cutWithin := strings.Repeat("a", qp.FirstUserMessageMax-len(" hunter2")) + " hunter2"
		notCut := "short, and ending hunter2"
		tooShort := strings.Repeat("b", qp.FirstUserMessageMax-len(" hun")) + " hun"
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		var sessions []qp.Session
		for id, name := range map[string]string{"s-cut": cutWithin, "s-short": notCut, "s-hun": tooShort} {
			sessions = append(sessions, qp.Session{ID: id, ChatID: "c-" + id, Model: "qwen3-max", FirstUserMessage: name,
				CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)})
		}
		if err := storetest.Open(t, dbURL).WriteBatch(ctx, qp.Batch{Sessions: sessions}); err != nil {
			t.Fatal(err)
		}
		vars := historyRedactEnv(t)
		var out, errOut bytes.Buffer
		if code := runWithInput(ctx, append([]string{"history", "redact"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] },
			strings.NewReader(secret+"\n"), &out, &errOut); code != 0 {
			t.Fatalf("history redact: exit %d: %s %s", code, out.String(), errOut.String())
		}
		st := storetest.Open(t, dbURL)
		want := map[string]string{
			"s-cut":   strings.TrimSuffix(cutWithin, "hunter2") + "[REDACTED]",
			"s-short": notCut,
			"s-hun":   tooShort,
		}
		for id, name := range want {
			s, err := st.Session(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.FirstUserMessage != name {
				t.Errorf("%s's name after history redact ends %q, want %q", id, tail(s.FirstUserMessage), tail(name))
			}
		}
	})
}

func tail(s string) string { return s[max(0, len(s)-24):] }
