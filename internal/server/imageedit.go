package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/imagefetch"
	"qwenproxy/internal/openai"
)

// imageEdits serves POST /v1/images/edits, OpenAI's multipart form: the
// images (image, image[] or image[n]) are read as a turn's images are (loadImages:
// IMAGE_MAX_BYTES each, IMAGE_MAX_COUNT in all, images by their bytes),
// uploaded for a chat of Qwen's image_edit type and attached to its one
// message, whose content is the prompt; the edited image is answered as a
// generation's is (generateImage). Bad input is a 400 and nothing else
// happens: no upload, no completion, no record.
func (s *Server) imageEdits(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form, apiErr := s.readEditForm(w, r)
	body := openai.FormJSON(form.fields)
	var ignored []string
	if apiErr == nil {
		ignored, apiErr = openai.CheckFields(body, openai.ImageEditFields)
	}
	if apiErr == nil {
		_, apiErr = recordBodiesHeader(r)
	}
	var req openai.ImageRequest
	if apiErr == nil {
		apiErr = openai.Decode(body, &req)
	}
	if apiErr == nil {
		apiErr = req.Validate()
	}
	if apiErr == nil && len(form.images) == 0 {
		apiErr = openai.InvalidRequest("image", "missing_required_parameter", "image is required: the image file(s) to edit (image, or image[] for several)")
	}
	var v variant
	if apiErr == nil {
		v, apiErr = s.resolveModel(ctx, req.Model)
	}
	if apiErr == nil {
		apiErr = refuseVariant(v, req.Model, true)
	}
	if apiErr == nil {
		apiErr = s.requireImageCapability(ctx, v.model, req.Model, true)
	}
	var images []*imagefetch.Image
	if apiErr == nil {
		images, apiErr = s.loadImages(ctx, form.imageFields(), "image")
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	// Recorded as the JSON body the form stands for, the images as data:
	// URLs, which the record keeps as references unless RECORD_IMAGE_BYTES
	// (imageRefs), as a vision request's.
	c := s.newCall(w, r, withImages(body, form.images))
	c.ex.Request.IgnoredParams = ignored
	s.generateImage(c, v.model, req, images)
}

// editForm is an image edit's form: its text fields in order, and its
// images as data: URLs.
type editForm struct {
	fields []openai.FormField
	images []string
}

// maxFormParts bounds an edit form's parts besides its images.
const maxFormParts = 64

// readEditForm reads the multipart form within MAX_BODY_BYTES. A file part
// other than an image (mask, markup) becomes a text field saying so, so
// that its field's policy refuses it as it refuses a value.
func (s *Server) readEditForm(w http.ResponseWriter, r *http.Request) (editForm, *openai.Error) {
	var form editForm
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return form, &openai.Error{Status: http.StatusUnsupportedMediaType, Type: openai.TypeInvalidRequest, Code: "unsupported_media_type",
			Message: fmt.Sprintf("POST /v1/images/edits takes multipart/form-data (OpenAI's form: image, prompt, model, …), not %q", ct)}
	}
	body, apiErr := s.readBounded(w, r)
	if apiErr != nil {
		return form, apiErr
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	maxParts := maxFormParts + s.cfg.Capabilities.ImageMaxCount
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return form, openai.InvalidRequest("", "invalid_body", "the multipart form is malformed: %v", err)
		}
		if n >= maxParts {
			return form, openai.InvalidRequest("", "invalid_body", "the form has more than %d parts", maxParts)
		}
		data, err := io.ReadAll(p) // within the body already read
		if err != nil {
			return form, openai.InvalidRequest("", "invalid_body", "the multipart form is malformed: %v", err)
		}
		name := p.FormName()
		switch {
		case isImagePart(name):
			if p.FileName() == "" {
				return form, openai.InvalidRequest("image", "invalid_value", "image must be a file (the image's bytes, as a form's file part), not a text value")
			}
			form.images = append(form.images, partDataURL(p.Header.Get("Content-Type"), data))
		case p.FileName() != "":
			form.fields = append(form.fields, openai.FormField{Name: name, Value: "[file " + p.FileName() + "]"})
		default:
			form.fields = append(form.fields, openai.FormField{Name: name, Value: string(data)})
		}
	}
}

// isImagePart reports whether a form part's name is an image's: "image",
// "image[]" (OpenAI's SDKs, for several) or "image[n]" (form encoders that
// number a list's elements, such as qs's indices format).
func isImagePart(name string) bool {
	if name == "image" || name == "image[]" {
		return true
	}
	n, ok := strings.CutPrefix(name, "image[")
	n, ok2 := strings.CutSuffix(n, "]")
	if !ok || !ok2 || n == "" || len(n) > 3 {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// partDataURL is a file part as a data: URL, its type the part's when that
// is an image type, else what its bytes are (a client that sends
// application/octet-stream): the record's imageRefs knows data:image/ URLs,
// and loadImages refuses what is no image.
func partDataURL(declared string, data []byte) string {
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil || !strings.HasPrefix(mt, "image/") {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// imageFields are the form's images, each named as a 400 about it names it:
// "image", or the nth of several "image[n]" (from 0, in the form's order).
func (f editForm) imageFields() []qp.Image {
	out := make([]qp.Image, len(f.images))
	for i, u := range f.images {
		out[i] = qp.Image{URL: u, Param: "image"}
		if len(f.images) > 1 {
			out[i].Param = fmt.Sprintf("image[%d]", i)
		}
	}
	return out
}

// withImages is the form's JSON body with its images added, as "image": a
// list of data: URLs.
func withImages(body []byte, images []string) []byte {
	list, _ := json.Marshal(images) // strings: cannot fail
	out := bytes.TrimSuffix(body, []byte("}"))
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, `"image":`...)
	out = append(out, list...)
	return append(out, '}')
}
