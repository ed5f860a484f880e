package imagefetch

import (
	"context"
	"sync"
)

// fetchesAtOnce bounds the gets of one All running at once.
const fetchesAtOnce = 4

// All runs get for 0…n-1, up to fetchesAtOnce at once: a turn's images or
// documents (Fetcher.Get for each), fetched one after the other, took the
// sum of their times (each up to IMAGE_FETCH_TIMEOUT) before anything was
// sent. Every get runs to its end (each is bounded by the Fetcher's
// Timeout); the results are in order, and the first failure in that order
// is returned, so the error does not depend on which fetch finished first.
func All[T any](ctx context.Context, n int, get func(ctx context.Context, i int) (T, error)) ([]T, error) {
	out := make([]T, n)
	if n == 0 {
		// Most turns carry no image and no document: the slots' channel
		// was an allocation each, twice a call.
		return out, nil
	}
	errs := make([]error, n)
	slots := make(chan struct{}, fetchesAtOnce)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			out[i], errs[i] = get(ctx, i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
