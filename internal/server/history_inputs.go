package server

import (
	"context"
	"slices"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/translate"
)

// historyInputs checks the images and documents of the conversation before
// the turn, as the turn's are checked: before anything is recorded or sent.
// They go up only when the history is replayed into a new chat
// (turnFiles), after the chat is opened, and one that could not be read
// was then a failed call, recorded, its chat and session left behind with
// nothing in them. Their count is bounded as a turn's is; those read
// without the network (data: URLs, and URLs when ALLOW_IMAGE_URLS fetches
// none, which refuses them at once) are read now and let go. URLs that
// would be fetched are fetched only for a replay: one gone by then fails
// that call (invalid_input), as it must.
func (s *Server) historyInputs(ctx context.Context, t *turnSpec, param string) *openai.Error {
	history, _ := translate.Split(t.messages)
	var images []qp.Image
	var docs []qp.Document
	for _, m := range history {
		images = append(images, m.Images...)
		docs = append(docs, m.Documents...)
	}
	if apiErr := s.imageCount(len(images), param); apiErr != nil {
		return apiErr
	}
	if apiErr := documentCount(len(docs), param); apiErr != nil {
		return apiErr
	}
	fetched := func(u string) bool { return s.images.Fetches() && !qp.IsDataURL(u) }
	images = slices.DeleteFunc(images, func(img qp.Image) bool { return fetched(img.URL) })
	docs = slices.DeleteFunc(docs, func(d qp.Document) bool { return fetched(d.URL) })
	if _, apiErr := s.loadImages(ctx, images, param); apiErr != nil {
		return apiErr
	}
	_, apiErr := s.loadDocuments(ctx, docs, param)
	return apiErr
}

// takenAlong is a history to replay into a new chat as the turn's model
// can take it: a model without vision is not sent its images, nor a model
// that makes images its documents (its turn could send neither: a 400);
// each message that had them says so instead ("[an image, not attached:
// qwq-32b takes no images]"). Both went up, into a chat that could not
// read them, and the replayed text said they were attached.
func (s *Server) takenAlong(ctx context.Context, t *turnSpec, msgs []qp.Message) []qp.Message {
	dropImages := slices.ContainsFunc(msgs, func(m qp.Message) bool { return len(m.Images) > 0 }) && !s.seesImages(ctx, t)
	dropDocuments := t.image || t.edit
	if !dropImages && !dropDocuments {
		return msgs
	}
	out := slices.Clone(msgs)
	for i := range out {
		m := &out[i]
		if dropImages && len(m.Images) > 0 {
			m.Text += translate.ImagesNotAttached(m.Text, len(m.Images), t.answerModel()+" takes no images")
			m.Images = nil
		}
		if dropDocuments && len(m.Documents) > 0 {
			m.Text += translate.DocumentsNotAttached(m.Text, len(m.Documents), t.answerModel()+" reads no documents")
			m.Documents = nil
		}
	}
	return out
}
