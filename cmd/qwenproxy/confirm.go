package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// isTerminal reports whether f is a character device: a person typing.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// confirmAll guards a delete of everything: --yes lets it through; on a
// terminal the person is asked; anywhere else it is refused, so a script
// cannot wipe a history by a slip.
func confirmAll(e env, yes bool, what string) error {
	if yes {
		return nil
	}
	if !e.terminal {
		return fmt.Errorf("this would delete %s; pass --yes to confirm", what)
	}
	fmt.Fprintf(e.stderr, "This deletes %s. Type yes to go on: ", what)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("not confirmed: nothing deleted")
	}
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return errors.New("not confirmed: nothing deleted")
	}
	return nil
}
