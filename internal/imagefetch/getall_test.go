package imagefetch

import (
	"context"
	"testing"
)

// TestAllOfNothingAllocatesNothing: a turn without images or documents
// asks for all of none, an empty result, without allocating.
func TestAllOfNothingAllocatesNothing(t *testing.T) {
	get := func(context.Context, int) (*Image, error) { t.Fatal("get called"); return nil, nil }
	out, err := All(context.Background(), 0, get)
	if out == nil || len(out) != 0 || err != nil {
		t.Fatalf("%#v, %v", out, err)
	}
	if n := testing.AllocsPerRun(100, func() { All(context.Background(), 0, get) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
