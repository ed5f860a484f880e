package server

import "time"

// CapabilitiesConfig configures what the proxy does with Qwen's web search,
// image inputs and image generation.
type CapabilitiesConfig struct {
	// SearchSources is "append" (the default: a numbered source list after
	// the answer, and annotations) or "annotations" (annotations only).
	SearchSources string
	// AllowImageURLs is "false" (data: URLs only; the default), "true"
	// (http(s) URLs to public addresses) or "loopback" (also 127.0.0.0/8).
	AllowImageURLs string
	// ImageMaxBytes bounds an image taken in; default 10 MiB.
	ImageMaxBytes int64
	// ImageMaxCount bounds the images a turn takes in (and a replayed
	// history's); default 100.
	ImageMaxCount int
	// DocumentMaxBytes bounds a document (PDF, text) taken in; default
	// 10 MiB.
	DocumentMaxBytes int64
	// ContextFileBytes is the size of a turn's text past which it goes to
	// Qwen as a text file attachment with a short inline prompt
	// (contextfile.go); 0 sends every turn inline.
	ContextFileBytes int
	// ImageFetchTimeout bounds fetching an http(s) image; default 15 s.
	ImageFetchTimeout time.Duration
	// RecordImageBytes keeps data: URLs whole in recorded request bodies.
	RecordImageBytes bool
	// ImageTimeout bounds an image generation; default 5 min.
	ImageTimeout time.Duration
}

func (c *CapabilitiesConfig) defaults() {
	if c.SearchSources == "" {
		c.SearchSources = "append"
	}
	if c.AllowImageURLs == "" {
		c.AllowImageURLs = "false"
	}
	if c.ImageMaxBytes <= 0 {
		c.ImageMaxBytes = 10 << 20
	}
	if c.DocumentMaxBytes <= 0 {
		c.DocumentMaxBytes = 10 << 20
	}
	if c.ImageMaxCount <= 0 {
		c.ImageMaxCount = 100
	}
	if c.ImageFetchTimeout <= 0 {
		c.ImageFetchTimeout = 15 * time.Second
	}
	if c.ImageTimeout <= 0 {
		c.ImageTimeout = 5 * time.Minute
	}
}
