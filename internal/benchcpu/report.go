// Package benchcpu reads the CPU time a benchmark spends: the whole
// process's, user and system, so that work in other goroutines (a server,
// its writer, a canned upstream) counts too. Benchmarks use it, and tests
// that hold a cost to its growth (a ratio of two runs, not a time).
package benchcpu

import "testing"

// Report, deferred from a benchmark's start, reports the process's CPU time
// per op (cpu-µs/op); nothing where it cannot be read.
func Report(b *testing.B) (stop func()) {
	before, ok := Process()
	return func() {
		after, _ := Process()
		if ok && b.N > 0 {
			b.ReportMetric(float64((after-before).Microseconds())/float64(b.N), "cpu-µs/op")
		}
	}
}
