package qwenproxy

import (
	"testing"

	"github.com/google/uuid"
)

// Ids minted one after another sort in that order (what keeps inserts at the
// end of the unique indexes), and are UUIDs of version 7.
func TestNewIDsAscend(t *testing.T) {
	prev := ""
	for range 10_000 {
		id := NewID()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("%q is not a version 7 UUID (%v)", id, err)
		}
		if id <= prev {
			t.Fatalf("%q minted after %q sorts before it", id, prev)
		}
		prev = id
	}
}
