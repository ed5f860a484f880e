// Package stats aggregates recorded calls into qwenproxy.StatsGroup values:
// counts, tokens, and duration distributions, exactly from every value or
// approximately from log-scale histograms that can be stored and merged
// (the hourly rollups that keep statistics fast at millions of calls).
package stats

import (
	"math"
	"slices"
	"strconv"
	"strings"

	qp "qwenproxy"
)

// Histogram counts values (milliseconds) in quarter-octave buckets: bucket i
// holds [2^(i/4)-1, 2^((i+1)/4)-1), so a percentile read from it is within
// about 10 % of the true value.
type Histogram map[int]int64

func bucketOf(ms float64) int {
	if ms <= 0 {
		return 0
	}
	return min(int(4*math.Log2(ms+1)), 127)
}

func bucketMid(i int) float64 {
	lo := math.Exp2(float64(i)/4) - 1
	hi := math.Exp2(float64(i+1)/4) - 1
	return (lo + hi) / 2
}

// Add counts one value.
func (h Histogram) Add(ms float64) { h[bucketOf(ms)]++ }

// Merge adds another histogram's counts.
func (h Histogram) Merge(o Histogram) {
	for i, c := range o {
		h[i] += c
	}
}

// Percentile is the approximate value at quantile p (0..1).
func (h Histogram) Percentile(p float64) float64 {
	var total int64
	keys := make([]int, 0, len(h))
	for i, c := range h {
		total += c
		keys = append(keys, i)
	}
	if total == 0 {
		return 0
	}
	slices.Sort(keys)
	rank := int64(math.Ceil(p * float64(total)))
	var seen int64
	for _, i := range keys {
		seen += h[i]
		if seen >= rank {
			return round(bucketMid(i))
		}
	}
	return round(bucketMid(keys[len(keys)-1]))
}

// Encode writes the histogram as "bucket:count" pairs.
func (h Histogram) Encode() string {
	keys := make([]int, 0, len(h))
	for i := range h {
		keys = append(keys, i)
	}
	slices.Sort(keys)
	var b strings.Builder
	for n, i := range keys {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(h[i], 10))
	}
	return b.String()
}

// DecodeHistogram reads Encode's form; malformed pairs are skipped.
func DecodeHistogram(s string) Histogram {
	h := Histogram{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, ":")
		i, err1 := strconv.Atoi(k)
		c, err2 := strconv.ParseInt(v, 10, 64)
		if ok && err1 == nil && err2 == nil {
			h[i] += c
		}
	}
	return h
}

// Call is what statistics need of one recorded call.
type Call struct {
	Model            string
	Account          string // the Qwen account that served the call
	Error            bool
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
	DurationMillis   float64
	TTFTMillis       *float64
}

// Acc accumulates a group of calls.
type Acc struct {
	Requests, Errors                      int64
	PromptTokens, CompletionTokens, Total int64
	DurationSum, TTFTSum                  float64
	DurationN, TTFTN                      int64
	DurationHist, TTFTHist                Histogram
	exact                                 bool
	durations, ttfts                      []float64
}

// NewAcc returns an accumulator; exact keeps every value for exact
// percentiles (for small groups such as one session).
func NewAcc(exact bool) *Acc {
	return &Acc{DurationHist: Histogram{}, TTFTHist: Histogram{}, exact: exact}
}

// Add counts one call.
func (a *Acc) Add(c Call) {
	a.Requests++
	if c.Error {
		a.Errors++
	}
	a.PromptTokens += c.PromptTokens
	a.CompletionTokens += c.CompletionTokens
	a.Total += c.TotalTokens
	a.DurationSum += c.DurationMillis
	a.DurationN++
	a.DurationHist.Add(c.DurationMillis)
	if a.exact {
		a.durations = append(a.durations, c.DurationMillis)
	}
	if c.TTFTMillis != nil {
		a.TTFTSum += *c.TTFTMillis
		a.TTFTN++
		a.TTFTHist.Add(*c.TTFTMillis)
		if a.exact {
			a.ttfts = append(a.ttfts, *c.TTFTMillis)
		}
	}
}

// Merge adds a stored rollup (never exact).
func (a *Acc) Merge(o *Acc) {
	a.Requests += o.Requests
	a.Errors += o.Errors
	a.PromptTokens += o.PromptTokens
	a.CompletionTokens += o.CompletionTokens
	a.Total += o.Total
	a.DurationSum += o.DurationSum
	a.DurationN += o.DurationN
	a.TTFTSum += o.TTFTSum
	a.TTFTN += o.TTFTN
	a.DurationHist.Merge(o.DurationHist)
	a.TTFTHist.Merge(o.TTFTHist)
	a.exact = false
}

// Group turns the accumulator into a StatsGroup named key.
func (a *Acc) Group(key string) qp.StatsGroup {
	return qp.StatsGroup{Key: key, Requests: a.Requests, Errors: a.Errors, PromptTokens: a.PromptTokens,
		CompletionTokens: a.CompletionTokens, TotalTokens: a.Total,
		Duration: distribution(a.DurationN, a.DurationSum, a.DurationHist, a.durations, a.exact),
		TTFT:     distribution(a.TTFTN, a.TTFTSum, a.TTFTHist, a.ttfts, a.exact)}
}

func distribution(n int64, sum float64, h Histogram, values []float64, exact bool) qp.Distribution {
	if n == 0 {
		return qp.Distribution{}
	}
	d := qp.Distribution{Count: n, Avg: round(sum / float64(n))}
	if exact {
		slices.Sort(values)
		pick := func(p float64) float64 {
			return round(values[max(0, int(math.Ceil(p*float64(len(values))))-1)])
		}
		d.P50, d.P95, d.P99 = pick(0.50), pick(0.95), pick(0.99)
		return d
	}
	d.P50, d.P95, d.P99 = h.Percentile(0.50), h.Percentile(0.95), h.Percentile(0.99)
	return d
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// Groups is a set of named accumulators, returned in key order.
type Groups struct {
	exact bool
	m     map[string]*Acc
}

// NewGroups returns an empty set.
func NewGroups(exact bool) *Groups { return &Groups{exact: exact, m: map[string]*Acc{}} }

// Get returns the accumulator for key, creating it.
func (g *Groups) Get(key string) *Acc {
	a := g.m[key]
	if a == nil {
		a = NewAcc(g.exact)
		g.m[key] = a
	}
	return a
}

// List returns the groups sorted by key.
func (g *Groups) List() []qp.StatsGroup {
	keys := make([]string, 0, len(g.m))
	for k := range g.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]qp.StatsGroup, 0, len(keys))
	for _, k := range keys {
		out = append(out, g.m[k].Group(k))
	}
	return out
}
