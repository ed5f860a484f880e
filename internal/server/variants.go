package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// variant is what a model name asks of Qwen: the model that answers and the
// features the name's suffix turns on (<model>-thinking, -search,
// -thinking-search, -image, -image-edit).
type variant struct {
	model    string
	thinking bool // thinking on
	search   bool // Qwen searches the web (chat_type search)
	image    bool // Qwen answers with an image (chat_type t2i, or image_edit when edit)
	edit     bool // Qwen edits the turn's images (chat_type image_edit)
	mapped   bool // the client's name was mapped onto model (MODEL_MAP, claude-*, gpt-*)
}

// variantSuffixes are the model-name suffixes, longest first so that
// -thinking-search is not read as -search of "<model>-thinking".
var variantSuffixes = []struct {
	suffix                        string
	thinking, search, image, edit bool
}{
	{"-thinking-search", true, true, false, false},
	{"-thinking", true, false, false, false},
	{"-search", false, true, false, false},
	{"-image-edit", false, false, false, true},
	{"-image", false, false, true, false},
}

// variantsOf lists the variants a model's capabilities allow, in
// variantSuffixes' order: -thinking for a model that can think but need not
// (one that always thinks gains nothing from it), -search when it can
// search, -thinking-search when both, -image when it generates images,
// -image-edit when it edits them.
func variantsOf(c qwen.Capabilities) []string {
	var out []string
	for _, i := range []int{1, 2, 0, 4, 3} { // -thinking, -search, -thinking-search, -image, -image-edit
		v := variantSuffixes[i]
		if lacks(c, v.thinking, v.search, v.image, v.edit) == "" {
			out = append(out, v.suffix)
		}
	}
	return out
}

// lacks names what c cannot do of what a variant asks, or "".
func lacks(c qwen.Capabilities, thinking, search, image, edit bool) string {
	switch {
	case thinking && c.ThinkingRequired:
		return "thinking switch (it always thinks: use the plain name, or -search)"
	case thinking && !c.Thinking:
		return "thinking"
	case search && !c.Search:
		return "web search"
	case image && !c.ImageGeneration:
		return "image generation"
	case edit && !c.ImageEdit:
		return "image editing"
	}
	return ""
}

// parseVariant splits name into a listed model and a variant suffix. caps
// are the listed models' capabilities (nil when Qwen's list could not be
// had: a known suffix is then taken off and Qwen decides). ok is false when
// name is neither a listed model nor a variant of one.
func parseVariant(name string, caps map[string]qwen.Capabilities) (v variant, apiErr *openai.Error, ok bool) {
	if _, listed := caps[name]; listed || caps == nil && !hasVariantSuffix(name) {
		return variant{model: name}, nil, caps != nil || name != ""
	}
	for _, s := range variantSuffixes {
		base, found := strings.CutSuffix(name, s.suffix)
		if !found || base == "" {
			continue
		}
		// An edit answers with an image as a generation does: what holds of
		// -image (no search, the wait padded, IMAGE_TIMEOUT) holds of it.
		v := variant{model: base, thinking: s.thinking, search: s.search, image: s.image || s.edit, edit: s.edit}
		if caps == nil {
			return v, nil, true
		}
		c, listed := caps[base]
		if !listed {
			continue
		}
		if what := lacks(c, s.thinking, s.search, s.image, s.edit); what != "" {
			return v, variantError(name, base, what), true
		}
		return v, nil, true
	}
	return variant{model: name}, nil, false
}

func hasVariantSuffix(name string) bool {
	for _, s := range variantSuffixes {
		if strings.HasSuffix(name, s.suffix) {
			return true
		}
	}
	return false
}

// variantError is the 400 for a variant its model cannot do.
func variantError(name, base, what string) *openai.Error {
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "model", Code: "model_variant_unsupported",
		Message: fmt.Sprintf("the model %q is not available: Qwen's model list gives %s no %s (GET /v1/models lists the variants each model has)", name, base, what)}
}

// featureError is the 400 for a request field asking model for what it
// cannot do (web_search_options on a model without search).
func featureError(param, model, what string) *openai.Error {
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: param, Code: "model_capability_unsupported",
		Message: fmt.Sprintf("%s asks for %s, which Qwen's model list does not give %s", param, what, model)}
}

// imageSearchError is the 400 for web search asked of an image variant:
// its answer is a picture from Qwen's t2i chat, which has no search sources.
func imageSearchError(param, name string) *openai.Error {
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: param, Code: "model_capability_unsupported",
		Message: fmt.Sprintf("%s asks for web search, which %q does not do: an image variant answers with a generated image (use the model's plain name or its -search variant to search)", param, name)}
}

// imageAnswerConflict is the 400 for what an image turn's answer cannot be:
// JSON (a response format, named by formatParam) or a call of the client's
// functions (a forced tool_choice, named by choiceParam: the legacy
// function_call where it came so). Qwen's t2i and image_edit chats answer
// with a picture alone, so such an answer could only fail its check — after
// the image was generated, and again after the corrective turn — and end in
// a 502. Tools the answer need not call stay taken: the answer is the image.
func imageAnswerConflict(t *turnSpec, formatParam, choiceParam string) *openai.Error {
	if !t.image {
		return nil
	}
	var param, what string
	switch {
	case t.jsonFormat != nil:
		param, what = formatParam, "a JSON answer"
	case t.tools.Active() && t.tools.Requirement() != "":
		param, what = choiceParam, "a call of its functions"
	default:
		return nil
	}
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: param, Code: "model_capability_unsupported",
		Message: fmt.Sprintf("%s asks for %s, which %q does not give: an image variant answers with an image (name the model without -image or -image-edit for that)", param, what, t.answerModel())}
}

// apply sets what the variant asks on the turn: its model, and thinking,
// search or image generation on top of what the request's fields asked.
func (v variant) apply(t *turnSpec) {
	t.model = v.model
	t.thinking = t.thinking || v.thinking
	t.search = t.search || v.search
	t.image = t.image || v.image
	t.edit = t.edit || v.edit
	t.mapped = v.mapped
}

// applyModel resolves the request's model name onto the turn (see
// resolveModel and variant.apply) and names what the client asked for.
func (s *Server) applyModel(ctx context.Context, t *turnSpec, requested string) *openai.Error {
	v, apiErr := s.resolveModel(ctx, requested)
	if apiErr != nil {
		return apiErr
	}
	v.apply(t)
	t.asked = requested
	return nil
}

// canSearch reports whether model can search: what Qwen's model list says,
// or true when the list cannot be had (Qwen then decides).
func (s *Server) canSearch(ctx context.Context, model string) bool {
	return s.requireCapability(ctx, model, "") == nil
}

// requireCapability is the 400 for a request field (param) asking for web
// search of a model whose list entry offers none; nil when it does, or when
// Qwen's list cannot be had (Qwen then decides).
func (s *Server) requireCapability(ctx context.Context, model, param string) *openai.Error {
	caps, err := s.models.capabilities(ctx)
	if err != nil {
		return nil
	}
	if c, listed := caps[model]; listed && !c.Search {
		return featureError(param, model, "web search")
	}
	return nil
}
