package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
)

// A configured model Qwen's list does not have — DEFAULT_MODEL, a
// MODEL_MAP target, or --model, misspelt — fails doctor's model-list step
// with the unknown_model diagnosis, naming each, before a chat is opened
// for it; a variant of a listed model is one Qwen has. It reported every
// step ok, the list it fetched lacking the model.
func TestDoctorFailsOnAModelQwenDoesNotList(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // in the failed step's error
	}{
		{"--model", nil, []string{"--model", "qwen3-maxx"}, []string{"--model qwen3-maxx"}},
		{"DEFAULT_MODEL", map[string]string{"DEFAULT_MODEL": "qwen3-maxx"}, nil, []string{"DEFAULT_MODEL qwen3-maxx"}},
		{"MODEL_MAP", map[string]string{"MODEL_MAP": "claude-*=qwen3-coder-plu,gpt-*=qwen3-vl-plus-thinking"}, nil,
			[]string{"MODEL_MAP claude-*=qwen3-coder-plu"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db")}
			for k, v := range tc.env {
				env[k] = v
			}
			code, rep, out := doctorJSON(t, env, append([]string{"--mock-upstream"}, tc.args...)...)
			if code != qwen.DiagnosisUnknownModel.Code || rep.Diagnosis.Name != "unknown_model" || len(rep.Steps) != 2 ||
				rep.Steps[1].Name != "model list" || rep.Steps[1].OK {
				t.Fatalf("exit %d, report %s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(rep.Steps[1].Error, w) || !strings.Contains(rep.Steps[1].Error, "qwen3-max") { // the models it has
					t.Errorf("step error %q lacks %q", rep.Steps[1].Error, w)
				}
			}
			if strings.Contains(rep.Steps[1].Error, "qwen3-vl-plus-thinking") {
				t.Errorf("a listed model's variant was called unknown: %s", rep.Steps[1].Error)
			}
		})
	}
	// Every target listed: every step ok.
	env := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db"), "MODEL_MAP": "claude-*=qwen3-coder-plus,gpt-*=qwen3-vl-plus-thinking"}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"doctor", "--mock-upstream"}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
}
