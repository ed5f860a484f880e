package stats

import (
	"math"
	"testing"
)

func TestHistogramPercentilesAreWithinTenPercent(t *testing.T) {
	h := Histogram{}
	for v := 1; v <= 10000; v++ {
		h.Add(float64(v))
	}
	for _, p := range []float64{0.5, 0.9, 0.95, 0.99} {
		exact := p * 10000
		if got := h.Percentile(p); math.Abs(got-exact)/exact > 0.10 {
			t.Errorf("p%.0f = %.1f, exact %.0f", p*100, got, exact)
		}
	}
	if (&Histogram{}).Percentile(0.5) != 0 || (&Histogram{}).Percentile(0.99) != 0 {
		t.Fatal("empty histogram")
	}
}

func TestHistogramEncodingAndMerge(t *testing.T) {
	a, b := Histogram{}, Histogram{}
	for _, v := range []float64{0, 3, 3, 250, 1e9} {
		a.Add(v)
	}
	b.Add(3)
	decoded := DecodeHistogram(a.Encode())
	decoded.Merge(&b)
	if nonEmpty(decoded) != nonEmpty(a) || decoded[bucketOf(3)] != 3 || decoded[bucketOf(1e9)] != 1 {
		t.Fatalf("decoded %v from %q", decoded, a.Encode())
	}
	if got := DecodeHistogram("x,1:2,3:y,4:5,128:1,-1:1"); nonEmpty(got) != 2 || got[1] != 2 || got[4] != 5 {
		t.Fatalf("malformed pairs not skipped: %v", got)
	}
	// Histograms joined by commas (the daily rollups' first form) add up.
	if got := DecodeHistogram(a.Encode() + ",," + b.Encode()); got != decoded {
		t.Fatalf("joined %v, merged %v", got, decoded)
	}
}

func nonEmpty(h Histogram) int {
	n := 0
	for _, c := range h {
		if c != 0 {
			n++
		}
	}
	return n
}

func TestAccExactAndMerged(t *testing.T) {
	exact := NewAcc(true)
	ttft := 5.0
	for i := 1; i <= 100; i++ {
		exact.Add(Call{Model: "m", Error: i%10 == 0, PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3, DurationMillis: float64(i), TTFTMillis: &ttft})
	}
	g := exact.Group("m")
	if g.Requests != 100 || g.Errors != 10 || g.TotalTokens != 300 || g.Duration.P50 != 50 || g.Duration.P99 != 99 || g.Duration.Avg != 50.5 ||
		g.TTFT.Count != 100 || g.TTFT.P95 != 5 {
		t.Fatalf("exact group %+v", g)
	}
	merged := NewAcc(false)
	merged.Merge(exact)
	merged.Merge(exact)
	m := merged.Group("")
	if m.Requests != 200 || m.Errors != 20 || m.Duration.Avg != 50.5 || math.Abs(m.Duration.P50-50)/50 > 0.1 {
		t.Fatalf("merged group %+v", m)
	}
	groups := NewGroups(false)
	groups.Get("b").Add(Call{})
	groups.Get("a").Add(Call{})
	if l := groups.List(); len(l) != 2 || l[0].Key != "a" {
		t.Fatalf("groups %+v", l)
	}
}

// A source database and its copy hold the same calls written in different
// batches, and rollups merge in any order: the sums, and so the averages,
// must not depend on the grouping. Float sums of millisecond durations did
// (the last bit), and an average on a rounding boundary came out 800.84 in
// one database and 800.83 in the other.
func TestSumsDoNotDependOnGrouping(t *testing.T) {
	var calls []Call
	for i := range 1000 {
		ttft := 1.25 + float64(i%7)/1000
		calls = append(calls, Call{DurationMillis: 800 + float64(i)/1000, TTFTMillis: &ttft})
	}
	whole := NewAcc(false)
	for _, c := range calls {
		whole.Add(c)
	}
	for _, size := range []int{1, 3, 7, 100, 333, 500} {
		// Batches of size, each merged into what was stored before, as
		// rollups are written; and the same batches merged newest first.
		batch := func(from int) *Acc {
			b := NewAcc(false)
			for _, c := range calls[from:min(from+size, len(calls))] {
				b.Add(c)
			}
			return b
		}
		forward, backward := NewAcc(false), NewAcc(false)
		for from := 0; from < len(calls); from += size {
			b := batch(from)
			b.Merge(forward)
			forward = b
		}
		for from := (len(calls) - 1) / size * size; from >= 0; from -= size {
			backward.Merge(batch(from))
		}
		for name, a := range map[string]*Acc{"forward": forward, "backward": backward} {
			if a.DurationSum != whole.DurationSum || a.TTFTSum != whole.TTFTSum {
				t.Errorf("batches of %d merged %s: sums %v %v, want %v %v", size, name, a.DurationSum, a.TTFTSum, whole.DurationSum, whole.TTFTSum)
			}
		}
	}
}
