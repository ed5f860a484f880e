package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's Configuration table names every setting, each with the
// default the code gives it (the two computed ones described in words, the
// others unset), and no setting the code does not have; `qwenproxy help`
// (Document) says what DATABASE_PATH still does beside DATABASE_URL, as the
// table does: it said DATABASE_PATH was "then unused", though it still names
// the spool's default.
func TestReadmeConfigurationTableIsTheCodes(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "\n## Configuration\n")
	if start < 0 {
		t.Fatal("README has no Configuration section")
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([^|]+) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		documented[m[1]] = strings.TrimSpace(m[2])
	}
	described := map[string]bool{"RECORDER_SPOOL": true, "USER_AGENT": true} // computed defaults, in words
	for _, s := range (&Config{}).settings() {
		def, ok := documented[s.env]
		switch {
		case !ok:
			t.Errorf("README's Configuration table lacks %s", s.env)
		case described[s.env]:
		case s.def == "" && def != "unset":
			t.Errorf("README gives %s the default %s; it is unset", s.env, def)
		case s.def != "" && def != "`"+s.def+"`":
			t.Errorf("README gives %s the default %s; the code's is %q", s.env, def, s.def)
		}
		delete(documented, s.env)
	}
	for name := range documented {
		t.Errorf("README's Configuration table names %s, which is no setting", name)
	}
	var help strings.Builder
	Document(&help)
	for _, line := range strings.Split(help.String(), "\n") {
		if strings.Contains(line, "DATABASE_URL ") && !strings.Contains(line, "spool") {
			t.Errorf("help's DATABASE_URL line does not say that DATABASE_PATH still names the spool's default: %s", line)
		}
	}
}
