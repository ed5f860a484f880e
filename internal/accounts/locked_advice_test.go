package accounts

import (
	"strings"
	"testing"
)

// A locked secret's advice names the key that sealed it: after `accounts
// rekey` that is the new key, not the one it was added with, which the
// advice named alone (and which no longer opens it).
func TestLockedAdviceNamesTheKeyThatSealedIt(t *testing.T) {
	for _, id := range []string{"ada@example.com", CookieID} {
		if advice := LockedAdvice(id); !strings.Contains(advice, "accounts rekey") {
			t.Errorf("%s: %q does not name the key rekey gave", id, advice)
		}
	}
}
