package config

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// Misspelling is a variable of the environment that is no setting but so
// near one that it was meant for it: API_KEY for API_KEYS, qwen_cookies for
// QWEN_COOKIES. Unread, it left the setting at its default without a word
// (with API_KEY, a proxy that needs no key).
type Misspelling struct {
	Name    string // as set
	Setting string // the setting it is near
}

func (m Misspelling) String() string {
	return fmt.Sprintf("%s is set but is not a qwenproxy setting (did you mean %s?)", m.Name, m.Setting)
}

// Misspellings finds them among environ's NAME=value lines (os.Environ),
// reading the names only: values may be secrets. A name counts when it has
// an underscore, as every setting of more than one word has, and is a
// setting in another case or one or two edits (a letter added, removed,
// changed, or two swapped) from one. Names without an underscore are left
// alone: HOME is two letters from HOST on every machine.
func Misspellings(environ []string) []Misspelling {
	var settings []string
	for _, s := range (&Config{}).settings() {
		settings = append(settings, s.env)
	}
	var found []Misspelling
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.Contains(name, "_") || slices.Contains(settings, name) {
			continue
		}
		upper := strings.ToUpper(name)
		for _, s := range settings {
			if upper == s || editDistance(upper, s) <= 2 {
				found = append(found, Misspelling{Name: name, Setting: s})
				break
			}
		}
	}
	return found
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// SuggestFlag follows the flag package's refusal of an unknown flag (err,
// from fs.Parse, which has printed it and the flags) with the flag of fs
// it was meant for, if Nearest finds one: "did you mean --session?" under a
// list of every flag is what a typo (--sesion) or a shortening (--mock)
// needs.
func SuggestFlag(fs *flag.FlagSet, err error) {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if best := Nearest(strings.TrimLeft(name, "-"), names); best != "" {
		fmt.Fprintf(fs.Output(), "did you mean --%s?\n", best)
	}
}

// Nearest is the one of names that name (a mistyped flag or command) was
// most likely meant for: the nearest one or two edits from it, case aside
// (one for a name of four letters or fewer, where two change half of it:
// `help nope` suggested copy), else the only one it begins (--mock for
// --mock-upstream, cred for credentials, which no edit distance reaches);
// "" when there is none.
func Nearest(name string, names []string) string {
	name = strings.ToLower(name)
	best, bestDistance := "", 3
	if len(name) <= 4 {
		bestDistance = 2
	}
	for _, n := range names {
		if d := editDistance(name, n); d < bestDistance {
			best, bestDistance = n, d
		}
	}
	if best != "" || name == "" {
		return best
	}
	var begun []string
	for _, n := range names {
		if strings.HasPrefix(n, name) {
			begun = append(begun, n)
		}
	}
	if len(begun) == 1 {
		return begun[0]
	}
	return ""
}

// RepeatedFlag is the first flag of fs that args give a value more than
// once ("" when none is), read as the flag package reads args: "-name" or
// "--name", a value after "=" or, for a flag that is not a switch, in the
// next argument; a switch (--json) may be given again, which says the same
// thing; nothing after "--" is a flag. The flag package keeps the last
// value without a word, so `prune --older-than 1000d … --older-than 0s`
// (a flag appended to a command from history) pruned by the last, where the
// history API refuses a parameter given twice.
func RepeatedFlag(fs *flag.FlagSet, args []string) string {
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return ""
		}
		if len(a) < 2 || a[0] != '-' {
			continue // a positional argument, or "-"
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			continue // unknown: the flag package refuses it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if !hasValue {
			i++ // its value, whatever it looks like
		}
		if seen[name] {
			return name
		}
		seen[name] = true
	}
	return ""
}
