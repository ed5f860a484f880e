package e2e

import (
	"errors"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// OpenAI keeps a background response for its polling (about ten minutes)
// even when the request does not store it (store false, as Zero Data
// Retention projects run): a client that starts one and polls it with
// responses.retrieve got 404 here, as for a store:false response in the
// foreground, which stays not found.
func TestBackgroundResponseWithoutStoreCanBePolled(t *testing.T) {
	e := start(t, nil)
	input := responses.ResponseNewParamsInputUnion{OfString: openai.String("work on it in the background")}
	bg, err := e.client.Responses.New(ctxT(t), responses.ResponseNewParams{Model: "gpt-5", Input: input, Background: openai.Bool(true), Store: openai.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.client.Responses.Get(ctxT(t), bg.ID, responses.ResponseGetParams{})
	if err != nil {
		t.Fatalf("polling the background response: %v", err)
	}
	if got.Status != "completed" || !got.Background || got.OutputText() != bg.OutputText() {
		t.Fatalf("polled %s", got.RawJSON())
	}
	if items, err := e.client.Responses.InputItems.List(ctxT(t), bg.ID, responses.InputItemListParams{}); err != nil || len(items.Data) != 1 {
		t.Fatalf("its input items: %v %+v", err, items)
	}
	fg, err := e.client.Responses.New(ctxT(t), responses.ResponseNewParams{Model: "gpt-5", Input: input, Store: openai.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *openai.Error
	if _, err := e.client.Responses.Get(ctxT(t), fg.ID, responses.ResponseGetParams{}); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Fatalf("a store:false response in the foreground: %v", err)
	}
}
