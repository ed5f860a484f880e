package qwenproxy

import (
	"strings"
	"testing"
)

// A client's conversation id is recorded bounded and of safe characters
// only: cut to ClientSessionIDMax bytes, anything but A-Z a-z 0-9 -_.:
// dropped (control characters, spaces, quotes, non-ASCII), nothing left
// meaning none; and the history's filter takes exactly what can be recorded.
func TestAClientSessionIDIsRecordedBoundedAndClean(t *testing.T) {
	long := strings.Repeat("ab", ClientSessionIDMax)
	for in, want := range map[string]string{
		"c253dc9b-5991-4b17-9cba-0129827917e3": "c253dc9b-5991-4b17-9cba-0129827917e3",
		"ses_db1cbea83ffeaLD1cwKfDRC2o4":       "ses_db1cbea83ffeaLD1cwKfDRC2o4",
		"01a24e33-ce79:0":                      "01a24e33-ce79:0",
		"a b\tc\r\nd\x00e\x7f\"f'g,h;i=é/j":    "abcdefghij",
		long:                                   long[:ClientSessionIDMax],
		" " + long:                             long[:ClientSessionIDMax],
		"  ;\t":                                "",
		"":                                     "",
	} {
		got := CleanClientSessionID(in)
		if got != want {
			t.Errorf("CleanClientSessionID(%q) = %q, want %q", in, got, want)
		}
		if ValidClientSessionID(in) != (in != "" && in == want) {
			t.Errorf("ValidClientSessionID(%q) = %v", in, !(in != "" && in == want))
		}
	}
}
