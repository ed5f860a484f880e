package main

import (
	"fmt"
	"slices"
	"strings"

	"qwenproxy/internal/config"
)

// unknownCommand says why args[0] is no command, and what was meant: a flag
// put before the command's name (`qwenproxy --json stats`, a common habit
// from tools with global flags) names that command with the flag after it;
// a mistyped or shortened name (`sesions`, `cred`) names the command it is
// nearest. "unknown command "--json"" alone left a newcomer to guess. Flag
// values are never repeated: one may be a database URL with its password
// (`--database-url=postgres://u:pw@h/db stats` was echoed whole).
func unknownCommand(args []string) string {
	names := []string{"version", "help"}
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if strings.HasPrefix(args[0], "-") {
		flagName, _, _ := strings.Cut(args[0], "=") // its value may be a secret
		said := fmt.Sprintf("unknown command %q", flagName)
		if i := slices.IndexFunc(args, func(a string) bool { return slices.Contains(names, a) }); i > 0 {
			return fmt.Sprintf("%s: the command's name comes first, its flags after it (qwenproxy %s %s …)", said, args[i], flagName)
		}
		return said + ": a command's name comes first, its flags after it"
	}
	said := fmt.Sprintf("unknown command %q", args[0])
	if meant := config.Nearest(args[0], names); meant != "" {
		return fmt.Sprintf("%s (did you mean %s?)", said, meant)
	}
	return said
}
