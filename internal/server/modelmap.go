package server

import (
	"context"
	"fmt"
	"net/http"

	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/openai"
)

// resolveModel maps the model name a client sent onto the Qwen model that
// answers it: a MODEL_MAP rule, else claude-* and gpt-* (the names coding
// agents send) to DEFAULT_MODEL, else the name itself if Qwen lists it. Any
// other name is a 404 model_not_found that says how to map it. When Qwen's
// list cannot be had, the name goes upstream as it is: Qwen then decides.
func (s *Server) resolveModel(ctx context.Context, requested string) (string, *openai.Error) {
	m := modelmap.Map{Rules: s.cfg.ModelMap, Default: s.cfg.DefaultModel}
	model, mapped := m.Resolve(requested)
	if mapped {
		return model, nil
	}
	listed, err := s.models.get(ctx)
	if err != nil {
		return model, nil
	}
	for _, l := range listed {
		if l.ID == model {
			return model, nil
		}
	}
	return "", &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_not_found",
		Message: fmt.Sprintf("the model %q is not one of Qwen's models (GET /v1/models lists them); map it onto one with MODEL_MAP, e.g. MODEL_MAP='%s=%s'",
			requested, requested, s.cfg.DefaultModel)}
}
