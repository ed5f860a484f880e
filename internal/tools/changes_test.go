package tools

import (
	"slices"
	"testing"
)

func names(s *Set) []string {
	var out []string
	for _, t := range s.Tools {
		out = append(out, t.Name+":"+t.Description)
	}
	return out
}

// TestApplyMakesTheToolsInEffectAtTheEnd: additions by value join or
// replace (in place), removals withdraw, a reference brings back the
// definition last given, and a name the conversation never had is an error
// about the change that named it.
func TestApplyMakesTheToolsInEffectAtTheEnd(t *testing.T) {
	set := &Set{Tools: []Tool{{Name: "read", Description: "r1"}, {Name: "edit", Description: "e1"}}}
	write := Tool{Name: "write", Description: "w1"}
	edit2 := Tool{Name: "edit", Description: "e2"}
	err := set.Apply([]Change{
		{Tool: &write},
		{Tool: &edit2},
		{Remove: true, Name: "read"},
		{Remove: true, Name: "read"}, // already withdrawn: nothing changes
		{Remove: true, Name: "write"},
		{Name: "write"}, // brought back
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(set), []string{"edit:e2", "write:w1"}; !slices.Equal(got, want) {
		t.Fatalf("tools %v, want %v", got, want)
	}
	for _, c := range []Change{{Name: "nope", Param: "p.add"}, {Remove: true, Name: "nope", Param: "p.rm"}} {
		if fe := (&Set{}).Apply([]Change{c}); fe == nil || fe.Param != c.Param {
			t.Fatalf("%+v: %v", c, fe)
		}
	}
}
