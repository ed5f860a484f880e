package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// resolveModel maps the model name a client sent onto the Qwen model that
// answers it and the variant it asks for: a MODEL_MAP rule, else claude-*
// and gpt-* (the names coding agents send) to DEFAULT_MODEL, else the name
// itself if Qwen lists it or one of its variants (<model>-thinking,
// -search, -thinking-search, -image; a MODEL_MAP target may name a variant
// too). A variant the model cannot do is a 400 naming it; any other name is
// a 404 model_not_found that says how to map it. When Qwen's list cannot be
// had, the name goes upstream as it is (less a variant suffix): Qwen then
// decides. A name mapped onto a model (or variant) the list does not have
// — a DEFAULT_MODEL or MODEL_MAP target misspelt — is the same 404, naming
// the setting, rather than a call Qwen refuses under the misspelt name.
func (s *Server) resolveModel(ctx context.Context, requested string) (variant, *openai.Error) {
	m := modelmap.Map{Rules: s.cfg.ModelMap, Default: s.cfg.DefaultModel}
	model, mapped := m.Resolve(requested)
	caps, err := s.models.capabilities(ctx)
	if err != nil {
		caps = nil
	}
	v, apiErr, ok := parseVariant(model, caps)
	if apiErr != nil {
		if mapped {
			// The client named another model than the variant refused: say
			// which setting sent it there, as for a target not listed.
			apiErr.Message = clip(m.Why(requested)) + ": " + apiErr.Message
		}
		return v, apiErr
	}
	if ok || mapped && caps == nil {
		v.mapped = mapped
		return v, nil
	}
	if mapped {
		return variant{}, unlistedTargetError(m.Why(requested))
	}
	return variant{}, &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_not_found",
		Message: fmt.Sprintf("the model %q is not one of Qwen's models (GET /v1/models lists them); map it onto one with MODEL_MAP, e.g. MODEL_MAP='%s=%s'",
			clip(requested), clip(requested), s.listedExample(caps))}
}

// listedExample is a model of Qwen's list to show in advice: DEFAULT_MODEL
// when the list has it, else the list's first by name (a misspelt
// DEFAULT_MODEL is no example to follow).
func (s *Server) listedExample(caps map[string]qwen.Capabilities) string {
	if _, apiErr, ok := parseVariant(s.cfg.DefaultModel, caps); (ok && apiErr == nil) || len(caps) == 0 {
		return s.cfg.DefaultModel
	}
	return slices.Sorted(maps.Keys(caps))[0]
}

// unlistedTargetError is the 404 for a name the configuration maps onto a
// model Qwen's list does not have; why names the setting (modelmap.Why).
func unlistedTargetError(why string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_not_found",
		Message: fmt.Sprintf("%s, which Qwen's model list does not have (GET /v1/models lists its models): correct the setting", clip(why))}
}

// warnUnlistedTargets logs, once each, the configured targets (DEFAULT_MODEL
// and each MODEL_MAP rule's) that the model list just fetched does not have,
// as a model or a variant the proxy understands: the calls mapped onto them
// are refused (resolveModel), and the operator learns why before a client
// does.
func (s *Server) warnUnlistedTargets(caps map[string]qwen.Capabilities) {
	m := modelmap.Map{Rules: s.cfg.ModelMap, Default: s.cfg.DefaultModel}
	for _, t := range unlisted(m.Targets(), caps) {
		key := t.Setting + "\x00" + t.Pattern + "\x00" + t.Model
		s.warnedMu.Lock()
		warned := s.warnedTargets[key]
		if s.warnedTargets == nil {
			s.warnedTargets = map[string]bool{}
		}
		s.warnedTargets[key] = true
		s.warnedMu.Unlock()
		if warned {
			continue
		}
		args := []any{"setting", t.Setting}
		if t.Pattern != "" {
			args = append(args, "pattern", t.Pattern)
		}
		args = append(args, "model", t.Model)
		if _, apiErr, _ := parseVariant(t.Model, caps); apiErr != nil {
			// A variant its model cannot do (qwen3-max-thinking): refused
			// as the client naming it is, with a 400, not the 404.
			s.log.Warn("a configured model is a variant Qwen's model list does not give its model: calls mapped onto it are refused with 400 model_variant_unsupported", args...)
			continue
		}
		s.log.Warn("a configured model is not in Qwen's model list: calls mapped onto it are refused with 404 model_not_found", args...)
	}
}

// UnlistedModels returns the targets that models (Qwen's list, as the
// upstream client reads it) does not have as a model or as a variant of one
// the proxy understands and the model can do (<model>-thinking, -search, …):
// the ones the server warns of and refuses calls for. For `doctor`.
func UnlistedModels(targets []modelmap.Target, models []qwen.Model) []modelmap.Target {
	return unlisted(targets, capabilitiesOf(models))
}

func unlisted(targets []modelmap.Target, caps map[string]qwen.Capabilities) []modelmap.Target {
	var out []modelmap.Target
	for _, t := range targets {
		if _, apiErr, ok := parseVariant(t.Model, caps); !ok || apiErr != nil {
			out = append(out, t)
		}
	}
	return out
}
