package config

import (
	"errors"
	"flag"
	"strconv"
)

// decimal is an int flag read in decimal alone, as the environment's
// integers are (strconv.Atoi): the flag package's own int reads 0x10 as hex
// and a leading 0 as octal, so `--port 044042` listened on 18466 where
// PORT=044042 listens on 44042, and `--max-concurrent 010` set 8.
type decimal struct{ n *int }

func (d decimal) String() string {
	if d.n == nil {
		return "0"
	}
	return strconv.Itoa(*d.n)
}

func (d decimal) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errors.New("not a whole decimal number")
	}
	if err != nil {
		return errors.New("out of range")
	}
	*d.n = n
	return nil
}

// DecimalIntFlag registers an int flag read in decimal (see decimal). Its
// usage should name its value in backquotes (`N`), which the flag package
// shows after the flag's name, as it shows "int" for its own.
func DecimalIntFlag(fs *flag.FlagSet, name string, value int, usage string) *int {
	n := value
	fs.Var(decimal{&n}, name, usage)
	return &n
}
