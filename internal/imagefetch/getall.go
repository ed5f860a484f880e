package imagefetch

import (
	"context"
	"sync"
)

// fetchesAtOnce bounds the fetches of one GetAll running at once.
const fetchesAtOnce = 4

// GetAll takes the images at urls, in their order, fetching up to
// fetchesAtOnce of them at once: one after the other, a turn of several
// slow image URLs took the sum of their times (each up to
// IMAGE_FETCH_TIMEOUT) before anything was sent. Every fetch runs to its
// end (each is bounded by the Fetcher's Timeout), and the first failure in
// the URLs' order is returned, so the error does not depend on which
// fetch finished first.
func (f *Fetcher) GetAll(ctx context.Context, urls []string) ([]*Image, error) {
	images := make([]*Image, len(urls))
	errs := make([]error, len(urls))
	slots := make(chan struct{}, fetchesAtOnce)
	var wg sync.WaitGroup
	for i, u := range urls {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			images[i], errs[i] = f.Get(ctx, u)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return images, nil
}
