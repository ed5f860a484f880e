package server

import (
	"context"
	"fmt"
	"net/http"

	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/openai"
)

// resolveModel maps the model name a client sent onto the Qwen model that
// answers it and the variant it asks for: a MODEL_MAP rule, else claude-*
// and gpt-* (the names coding agents send) to DEFAULT_MODEL, else the name
// itself if Qwen lists it or one of its variants (<model>-thinking,
// -search, -thinking-search, -image; a MODEL_MAP target may name a variant
// too). A variant the model cannot do is a 400 naming it; any other name is
// a 404 model_not_found that says how to map it. When Qwen's list cannot be
// had, the name goes upstream as it is (less a variant suffix): Qwen then
// decides.
func (s *Server) resolveModel(ctx context.Context, requested string) (variant, *openai.Error) {
	m := modelmap.Map{Rules: s.cfg.ModelMap, Default: s.cfg.DefaultModel}
	model, mapped := m.Resolve(requested)
	caps, err := s.models.capabilities(ctx)
	if err != nil {
		caps = nil
	}
	v, apiErr, ok := parseVariant(model, caps)
	if apiErr != nil {
		return v, apiErr
	}
	if ok || mapped {
		v.mapped = mapped
		return v, nil
	}
	return variant{}, &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_not_found",
		Message: fmt.Sprintf("the model %q is not one of Qwen's models (GET /v1/models lists them); map it onto one with MODEL_MAP, e.g. MODEL_MAP='%s=%s'",
			clip(requested), clip(requested), s.cfg.DefaultModel)}
}
