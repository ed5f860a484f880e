package server

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// modelCache holds the upstream model list for a TTL. Once a list is held,
// no call waits for the next one: an expired list is served while one fetch
// in the background renews it (every chat call reads the list for its
// model's capabilities, and a refresh on the call's path held every call
// for as long as Qwen took to answer it, up to the upstream timeout, when
// Qwen's model list hung). With no list yet, callers wait for one fetch
// (theirs or the one in flight), within their context. On an upstream
// failure a held list is served rather than an error (with none, the
// error), and the list is asked for again only after modelRetryAfter.
type modelCache struct {
	upstream Upstream
	ttl      time.Duration
	mu       sync.Mutex
	list     []openai.Model
	caps     map[string]qwen.Capabilities // each active model's, by id
	fetched  time.Time
	// failed is when the last fetch failed, with its error: without it
	// every call asked again for a list Qwen does not give.
	failed    time.Time
	failedErr error
	// fetching is closed when the fetch in flight ends; nil when none is.
	fetching chan struct{}
	// listed, when set, is told each list fetched (its models'
	// capabilities), outside m.mu: the server checks its configured
	// targets against it.
	listed func(map[string]qwen.Capabilities)
}

// modelRetryAfter is how long a failed model-list fetch is answered from
// memory before the next is tried.
const modelRetryAfter = 10 * time.Second

func newModelCache(u Upstream, ttl time.Duration) *modelCache {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return &modelCache{upstream: u, ttl: ttl}
}

func (m *modelCache) get(ctx context.Context) ([]openai.Model, error) {
	list, _, err := m.load(ctx)
	return list, err
}

// capabilities returns what each listed model can do, by id.
func (m *modelCache) capabilities(ctx context.Context) (map[string]qwen.Capabilities, error) {
	_, caps, err := m.load(ctx)
	return caps, err
}

// load returns the list (and each model's capabilities): the one held,
// renewed in the background once expired; with none held, the outcome of a
// fetch, or ctx's error if ctx ends first.
func (m *modelCache) load(ctx context.Context) ([]openai.Model, map[string]qwen.Capabilities, error) {
	m.mu.Lock()
	now := time.Now()
	resting := m.failedErr != nil && now.Sub(m.failed) < min(modelRetryAfter, m.ttl)
	due := now.Sub(m.fetched) >= m.ttl && !resting
	if m.list != nil {
		if due && m.fetching == nil {
			m.startFetch()
		}
		list, caps := m.list, m.caps
		m.mu.Unlock()
		return list, caps, nil
	}
	if resting {
		err := m.failedErr
		m.mu.Unlock()
		return nil, nil, err
	}
	if m.fetching == nil {
		m.startFetch()
	}
	done := m.fetching
	m.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.list == nil {
		return nil, nil, m.failedErr
	}
	return m.list, m.caps, nil
}

// startFetch asks Qwen for the list in a goroutine of its own, apart from
// any call (whose leaving must not end it, and whose record must not hold
// its failures); the upstream client's timeout bounds it. m.mu is held.
func (m *modelCache) startFetch() {
	done := make(chan struct{})
	m.fetching = done
	listed := m.listed
	go func() {
		models, err := m.upstream.Models(context.Background())
		caps := m.keep(models, err)
		// Told before the waiting calls go on, so that the warning of a
		// misspelt target comes before the first call refused for it.
		if caps != nil && listed != nil {
			listed(caps)
		}
		close(done)
	}()
}

// keep stores a fetch's outcome and ends it (m.fetching), returning the
// capabilities of the list fetched, nil when it failed. The caller closes
// the fetch's done channel.
func (m *modelCache) keep(models []qwen.Model, err error) map[string]qwen.Capabilities {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fetching = nil
	if err != nil {
		m.failed, m.failedErr = time.Now(), err
		return nil
	}
	m.failedErr = nil
	m.caps = capabilitiesOf(models)
	m.list, m.fetched = toOpenAIModels(models, time.Now()), time.Now()
	return m.caps
}

// capabilitiesOf gives each active model's capabilities, by id (never nil:
// a list without models is a list).
func capabilitiesOf(models []qwen.Model) map[string]qwen.Capabilities {
	caps := map[string]qwen.Capabilities{}
	for i := range models {
		if models[i].Info.IsActive {
			caps[models[i].ID] = models[i].Capabilities()
		}
	}
	return caps
}

func toOpenAIModels(models []qwen.Model, now time.Time) []openai.Model {
	out := make([]openai.Model, 0, len(models))
	for _, q := range models {
		if !q.Info.IsActive {
			continue
		}
		created := q.Info.CreatedAt
		if created == 0 {
			created = now.Unix()
		}
		owner := q.OwnedBy
		if owner == "" {
			owner = "qwen"
		}
		meta := map[string]any{
			"name":              q.Name,
			"description":       q.Info.Meta.Description,
			"chat_types":        q.Info.Meta.ChatType,
			"is_visitor_active": q.Info.IsVisitorActive,
		}
		// The lengths the entry gives, and no others: a thinking model's
		// has no max_generation_length, and a 0 would say it writes nothing.
		for key, n := range map[string]int{
			"max_context_length":             q.Info.Meta.MaxContextLength,
			"max_generation_length":          q.Info.Meta.MaxGenerationLength,
			"max_thinking_generation_length": q.Info.Meta.MaxThinkingGenerationLength,
			"max_summary_generation_length":  q.Info.Meta.MaxSummaryGenerationLength,
		} {
			if n > 0 {
				meta[key] = n
			}
		}
		if len(q.Info.Meta.Capabilities) > 0 {
			meta["capabilities"] = json.RawMessage(q.Info.Meta.Capabilities)
		}
		if len(q.Info.Meta.Abilities) > 0 {
			meta["abilities"] = json.RawMessage(q.Info.Meta.Abilities)
		}
		maxInput, maxOutput := q.Info.Meta.MaxContextLength, q.Info.Meta.MaxGenerationLength
		out = append(out, openai.NewModel(q.ID, cmp.Or(q.Name, q.ID), created, owner, meta, maxInput, maxOutput))
		// The variants its capabilities allow, each its own entry (clients
		// pick models from this list), with the model's lengths.
		for _, suffix := range variantsOf(q.Capabilities()) {
			out = append(out, openai.NewModel(q.ID+suffix, cmp.Or(q.Name, q.ID)+suffix, created, owner,
				map[string]any{"name": q.Name + suffix, "variant_of": q.ID, "variant": strings.TrimPrefix(suffix, "-")}, maxInput, maxOutput))
		}
	}
	return out
}

// listModels serves GET /v1/models, paged when the call asks (pageModels).
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	models, err := s.models.get(r.Context())
	if err != nil {
		writeErrorFor(w, r, classify(err).api)
		return
	}
	page, more, apiErr := pageModels(models, r.URL.Query())
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	list := openai.NewModelList(page)
	list.HasMore = more
	writeJSON(w, http.StatusOK, list)
}

// getModel serves GET /v1/models/{id}: a listed model or variant, or a
// name the chat routes take by mapping it (MODEL_MAP, claude-* and gpt-* to
// DEFAULT_MODEL), answered as the Qwen model it maps onto, under the name
// asked, with that model in metadata.maps_to.
func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	models, err := s.models.get(r.Context())
	if err != nil {
		writeErrorFor(w, r, classify(err).api)
		return
	}
	id := r.PathValue("id")
	for _, m := range models {
		if m.ID == id {
			writeJSON(w, http.StatusOK, m)
			return
		}
	}
	target, mapped := modelmap.Map{Rules: s.cfg.ModelMap, Default: s.cfg.DefaultModel}.Resolve(id)
	_, apiErr := s.resolveModel(r.Context(), id)
	if apiErr == nil && mapped {
		created, owner := s.started.Unix(), "qwen"
		var maxInput, maxOutput int
		for _, listed := range models {
			if listed.ID == target {
				created, owner = listed.Created, listed.OwnedBy
				maxInput, maxOutput = listed.Lengths()
			}
		}
		m := openai.NewModel(id, id, created, owner, map[string]any{"name": id, "maps_to": target}, maxInput, maxOutput)
		writeJSON(w, http.StatusOK, m)
		return
	}
	// Not found, with the reason a chat call naming it would be refused
	// for (how to map the name, or the variant its model has not), which
	// says more than that it does not exist.
	msg := "the model '" + clip(id) + "' does not exist"
	if apiErr != nil {
		msg = apiErr.Message
	}
	writeErrorFor(w, r, &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_not_found", Message: msg})
}
