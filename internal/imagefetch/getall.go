package imagefetch

import (
	"context"
	"sync"
)

// fetchesAtOnce bounds the fetches of one GetAll (or All) running at once.
const fetchesAtOnce = 4

// GetAll takes the images at urls, in their order, fetching up to
// fetchesAtOnce of them at once: one after the other, a turn of several
// slow image URLs took the sum of their times (each up to
// IMAGE_FETCH_TIMEOUT) before anything was sent. Every fetch runs to its
// end (each is bounded by the Fetcher's Timeout), and the first failure in
// the URLs' order is returned, so the error does not depend on which
// fetch finished first.
func (f *Fetcher) GetAll(ctx context.Context, urls []string) ([]*Image, error) {
	return All(ctx, len(urls), func(ctx context.Context, i int) (*Image, error) { return f.Get(ctx, urls[i]) })
}

// All runs get for 0…n-1, up to fetchesAtOnce at once, as GetAll fetches
// images: for files of another kind (documents) fetched under the same
// bound. Every get runs to its end; the results are in order, and the
// first failure in that order is returned.
func All[T any](ctx context.Context, n int, get func(ctx context.Context, i int) (T, error)) ([]T, error) {
	out := make([]T, n)
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
