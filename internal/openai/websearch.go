package openai

import (
	"encoding/json"
	"math"
)

// CheckSearchSetting checks one setting of a web search a request asks
// for — Chat Completions' web_search_options, the Responses API's
// web_search tool, Anthropic's web_search tool. None has an effect (Qwen
// searches as it does), but each is type- and range-checked as every field
// without effect is: a malformed value is a 400 naming param, never a
// search that passes for one it was not. Settings it does not know pass.
//
// The shapes are the APIs': search_context_size "low" | "medium" | "high";
// user_location {"type":"approximate", city, country, region, timezone}
// (strings; Chat Completions nests them under "approximate"); filters
// {"allowed_domains": [strings]}; max_uses an integer ≥ 1;
// allowed_domains and blocked_domains arrays of strings.
func CheckSearchSetting(param, key string, v json.RawMessage) *Error {
	if IsNull(v) {
		return nil
	}
	switch key {
	case "search_context_size":
		return enum("low", "medium", "high")(param, v)
	case "user_location":
		return userLocation(param, v)
	case "filters":
		var f map[string]json.RawMessage
		if json.Unmarshal(v, &f) != nil {
			return TypeError(param, "an object", v)
		}
		return domains(param+".allowed_domains", f["allowed_domains"])
	case "max_uses":
		return integer(1, math.MaxInt32)(param, v)
	case "allowed_domains", "blocked_domains":
		return domains(param, v)
	}
	return nil
}

// ToolSetting is one setting of a hosted tool (web search, image
// generation): its key and its value as sent (nil when absent).
type ToolSetting struct {
	Key   string
	Value json.RawMessage
}

// CheckSearchSettings checks a web search tool's settings in turn
// (CheckSearchSetting), naming each param(key).
func CheckSearchSettings(param func(key string) string, settings ...ToolSetting) *Error {
	for _, s := range settings {
		if err := CheckSearchSetting(param(s.Key), s.Key, s.Value); err != nil {
			return err
		}
	}
	return nil
}

// webSearchOptions is Chat Completions' web_search_options: an object of
// CheckSearchSetting's settings.
func webSearchOptions(name string, v json.RawMessage) *Error {
	var o map[string]json.RawMessage
	if json.Unmarshal(v, &o) != nil {
		return TypeError(name, "an object", v)
	}
	return CheckSearchSettings(func(k string) string { return name + "." + k },
		ToolSetting{"search_context_size", o["search_context_size"]}, ToolSetting{"user_location", o["user_location"]})
}

// userLocation is a search's approximate location: its type, if given,
// "approximate", and its place names strings (under "approximate" in
// Chat Completions, beside type in the other two APIs).
func userLocation(name string, v json.RawMessage) *Error {
	var loc map[string]json.RawMessage
	if json.Unmarshal(v, &loc) != nil {
		return TypeError(name, "an object", v)
	}
	if t := loc["type"]; !IsNull(t) {
		if err := enum("approximate")(name+".type", t); err != nil {
			return err
		}
	}
	places, prefix := loc, name
	if a := loc["approximate"]; !IsNull(a) {
		if json.Unmarshal(a, &places) != nil {
			return TypeError(name+".approximate", "an object", a)
		}
		prefix = name + ".approximate"
	}
	for _, k := range []string{"city", "country", "region", "timezone"} {
		if p := places[k]; !IsNull(p) {
			if err := str(200)(prefix+"."+k, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// domains is a list of domain names: an array of strings.
func domains(name string, v json.RawMessage) *Error {
	if IsNull(v) {
		return nil
	}
	return checkElements(name, "an array of strings", v, '[', "a string", isString)
}
