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
// about 10 % of the true value. It is an array, not a map: statistics over a
// year merge tens of thousands of stored histograms, and a map's inserts
// took most of that time.
type Histogram [histogramBuckets]int64

const histogramBuckets = 128

func bucketOf(ms float64) int {
	if ms <= 0 {
		return 0
	}
	return min(int(4*math.Log2(ms+1)), histogramBuckets-1)
}

func bucketMid(i int) float64 {
	lo := math.Exp2(float64(i)/4) - 1
	hi := math.Exp2(float64(i+1)/4) - 1
	return (lo + hi) / 2
}

// Add counts one value.
func (h *Histogram) Add(ms float64) { h[bucketOf(ms)]++ }

// Merge adds another histogram's counts.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o {
		h[i] += c
	}
}

// Percentile is the approximate value at quantile p (0..1).
func (h *Histogram) Percentile(p float64) float64 {
	var total int64
	last := -1
	for i, c := range h {
		if c != 0 {
			total += c
			last = i
		}
	}
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(p * float64(total)))
	var seen int64
	for i, c := range h {
		seen += c
		if c != 0 && seen >= rank {
			return round(bucketMid(i))
		}
	}
	return round(bucketMid(last))
}

// Encode writes the histogram as "bucket:count" pairs, buckets ascending,
// empty ones left out.
func (h *Histogram) Encode() string {
	var b []byte
	for i, c := range h {
		if c == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, c, 10)
	}
	return string(b)
}

// DecodeHistogram reads Encode's form (see AddEncoded).
func DecodeHistogram(s string) Histogram {
	var h Histogram
	h.AddEncoded(s)
	return h
}

// AddEncoded adds the counts of Encode's form, or of several joined by
// commas (a bucket named twice counts both); malformed pairs and buckets
// out of range are skipped. It reads in place: no allocation.
func (h *Histogram) AddEncoded(s string) {
	for len(s) > 0 {
		pair := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			pair, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		k, v, ok := strings.Cut(pair, ":")
		i, err1 := strconv.Atoi(k)
		c, err2 := strconv.ParseInt(v, 10, 64)
		if ok && err1 == nil && err2 == nil && i >= 0 && i < histogramBuckets {
			h[i] += c
		}
	}
}

// Call is what statistics need of one recorded call.
type Call struct {
	Model            string
	Account          string // the Qwen account that served the call
	APIKeyID         string // the proxy API key that made it ("" for none)
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
	return &Acc{exact: exact}
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
	a.DurationSum = sumMillis(a.DurationSum, c.DurationMillis)
	a.DurationN++
	a.DurationHist.Add(c.DurationMillis)
	if a.exact {
		a.durations = append(a.durations, c.DurationMillis)
	}
	if c.TTFTMillis != nil {
		a.TTFTSum = sumMillis(a.TTFTSum, *c.TTFTMillis)
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
	a.DurationSum = sumMillis(a.DurationSum, o.DurationSum)
	a.DurationN += o.DurationN
	a.TTFTSum = sumMillis(a.TTFTSum, o.TTFTSum)
	a.TTFTN += o.TTFTN
	a.DurationHist.Merge(&o.DurationHist)
	a.TTFTHist.Merge(&o.TTFTHist)
	a.exact = false
}

// sumMillis adds two durations in milliseconds, measured to the microsecond,
// and holds the sum to the microsecond: the nearest float64 to a whole
// number of microseconds, whatever order and grouping the terms came in
// (exact below 2^53 µs, 285 years). Plain float sums differ in their last
// bit between a database and its copy, which wrote the same calls in other
// batches, and an average on a rounding boundary then differed by 0.01 ms.
func sumMillis(a, b float64) float64 { return math.Round((a+b)*1000) / 1000 }

// Group turns the accumulator into a StatsGroup named key.
func (a *Acc) Group(key string) qp.StatsGroup {
	return qp.StatsGroup{Key: key, Requests: a.Requests, Errors: a.Errors, PromptTokens: a.PromptTokens,
		CompletionTokens: a.CompletionTokens, TotalTokens: a.Total,
		Duration: distribution(a.DurationN, a.DurationSum, &a.DurationHist, a.durations, a.exact),
		TTFT:     distribution(a.TTFTN, a.TTFTSum, &a.TTFTHist, a.ttfts, a.exact)}
}

func distribution(n int64, sum float64, h *Histogram, values []float64, exact bool) qp.Distribution {
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
