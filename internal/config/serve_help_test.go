package config

import (
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"
)

// serve --help says "the environment variables in parentheses give these
// flags' defaults; every other setting is an environment variable only", so
// each flag a setting backs names its variable: --allow-unauthenticated did
// not, and read as having no ALLOW_UNAUTHENTICATED.
func TestServeHelpNamesEachFlagsVariable(t *testing.T) {
	var usage strings.Builder
	if _, err := Load([]string{"--help"}, func(string) string { return "" }, &usage); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load --help: %v", err)
	}
	envs := map[string]bool{}
	for _, s := range (&Config{}).settings() {
		envs[s.env] = true
	}
	blocks := regexp.MustCompile(`(?m)^  -([a-z-]+)[^\n]*\n((?:    [^\n]*\n)+)`).FindAllStringSubmatch(usage.String(), -1)
	if len(blocks) < 8 {
		t.Fatalf("found %d flags in:\n%s", len(blocks), usage.String())
	}
	for _, b := range blocks {
		name, text := b[1], b[2]
		env := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if envs[env] && !strings.Contains(text, env) {
			t.Errorf("--%s does not name %s: %q", name, env, strings.TrimSpace(text))
		}
	}
}
