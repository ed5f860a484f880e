package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// --port is read in decimal, as PORT is: the flag package's int read
// 0x4822 as hex and 044042 as octal (both 18466), where PORT=044042 is 44042,
// and a zero-led port an operator typed listened elsewhere than meant. A
// value that is no decimal number is a usage error naming the flag and the
// value, as "abc" is.
func TestPortFlagIsDecimal(t *testing.T) {
	c, err := Load([]string{"--port", "018422"}, env(nil), io.Discard)
	if err != nil || c.Port != 18422 {
		t.Errorf("--port 018422: %v %+v", err, c)
	}
	for _, v := range []string{"0x4822", "0b1", "1_000", "abc", "+80 "} {
		_, err := Load([]string{"--port", v}, env(nil), io.Discard)
		if cl := (CommandLineError{}); err == nil || !strings.Contains(err.Error(), `"`+v+`"`) || !strings.Contains(err.Error(), "-port") {
			t.Errorf("--port %q: %v", v, err)
		} else if !errors.As(err, &cl) {
			t.Errorf("--port %q: %v is not a usage error", v, err)
		}
	}
}

// DecimalIntFlag is the same rule for the commands' integer flags
// (keys --max-concurrent): 0x10 was 16, 010 was 8.
func TestDecimalIntFlag(t *testing.T) {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := DecimalIntFlag(fs, "max-concurrent", 0, "the key's calls in flight at once; 0: no limit")
	if err := fs.Parse([]string{"--max-concurrent", "010"}); err != nil || *n != 10 {
		t.Errorf("010: %v %d", err, *n)
	}
	if err := fs.Parse([]string{"--max-concurrent", "0x10"}); err == nil || !strings.Contains(err.Error(), `"0x10"`) {
		t.Errorf("0x10: %v %d", err, *n)
	}
}
