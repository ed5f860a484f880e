package main

import (
	"strings"
	"testing"
	"time"
)

// Statistics by day are by UTC day. The table showed each day's start in
// the local zone, so west of UTC a day read as the evening before
// ("2026-12-04 19:00:00 EST" for the calls of December 5th, UTC): it names
// the UTC date now, and hours stay in the local zone, as every other time.
func TestStatsByDayNamesEachUTCDay(t *testing.T) {
	local := time.Local
	time.Local = time.FixedZone("EST", -5*3600) // as TZ=America/New_York in winter
	defer func() { time.Local = local }()
	db, _ := populate(t)
	day := time.Now().UTC().Format("2006-01-02")
	out, errOut, code := runCLI(t, db, "stats", "--bucket", "day")
	if code != 0 || !strings.Contains(out, "\n"+day+" (UTC day) ") || strings.Contains(out, " EST ") {
		t.Fatalf("stats --bucket day: want the day named %q (UTC day), not a local time: %d %s\n%s", day, code, errOut, out)
	}
	out, errOut, code = runCLI(t, db, "stats", "--bucket", "hour")
	if code != 0 || !strings.Contains(out, ":00:00 EST ") {
		t.Fatalf("stats --bucket hour: want each hour in the local zone: %d %s\n%s", code, errOut, out)
	}
}
