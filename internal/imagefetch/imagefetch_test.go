package imagefetch

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// pngBytes is a whole PNG of one red pixel (69 bytes).
var pngBytes = []byte("\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82")

func dataURL(b []byte) string { return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b) }

func wantError(t *testing.T, err error, fragment string) {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) || !strings.Contains(ie.Message, fragment) {
		t.Fatalf("want an image error with %q, got %v", fragment, err)
	}
}

func TestDataURLs(t *testing.T) {
	f := New(DataOnly, 128, time.Second)
	img, err := f.Get(context.Background(), dataURL(pngBytes))
	if err != nil || img.ContentType != "image/png" || string(img.Data) != string(pngBytes) || !strings.HasSuffix(img.Name, ".png") || len(img.SHA256) != 64 {
		t.Fatalf("%+v %v", img, err)
	}
	_, err = f.Get(context.Background(), "data:image/png;base64,@@@")
	wantError(t, err, "malformed")
	_, err = f.Get(context.Background(), dataURL([]byte(strings.Repeat("x", 129))))
	wantError(t, err, "IMAGE_MAX_BYTES")
	_, err = f.Get(context.Background(), "data:image/png;base64,"+base64.StdEncoding.EncodeToString([]byte("<html>not a picture</html>")))
	wantError(t, err, "not an image")
	_, err = f.Get(context.Background(), "data:image/png")
	wantError(t, err, "comma")
	// Bytes that are no PNG, declared as one: a type the sniffer knows must
	// be in the bytes (only types it cannot recognise, such as HEIC, are
	// taken as declared).
	_, err = f.Get(context.Background(), "data:image/png;base64,AAAA")
	wantError(t, err, "not an image")
	img, err = f.Get(context.Background(), dataURL([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'}))
	if err == nil {
		t.Fatalf("HEIC bytes declared as PNG taken as %+v", img)
	}
	if img, err = f.Get(context.Background(), "data:image/heic;base64,"+base64.StdEncoding.EncodeToString([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'})); err != nil || img.ContentType != "image/heic" {
		t.Fatalf("a declared HEIC: %+v %v", img, err)
	}
}

func TestURLsAreFetchedOnlyWhenAllowedAndNeverInward(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cat.png":
			w.Write(pngBytes)
		case "/big":
			w.Write(append(pngBytes, make([]byte, 100)...))
		case "/to-private":
			http.Redirect(w, r, "http://10.255.255.1/cat.png", http.StatusFound)
		case "/to-ipv6-loopback":
			http.Redirect(w, r, "http://[::1]:1/cat.png", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/stall":
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	_, err := New(DataOnly, 1<<20, time.Second).Get(ctx, srv.URL+"/cat.png")
	wantError(t, err, "ALLOW_IMAGE_URLS")
	// Public: loopback is refused at the dial.
	_, err = New(Public, 1<<20, time.Second).Get(ctx, srv.URL+"/cat.png")
	wantError(t, err, "never fetched")

	f := New(Loopback, 128, 300*time.Millisecond)
	img, err := f.Get(ctx, srv.URL+"/cat.png")
	if err != nil || img.Name != "cat.png" || img.ContentType != "image/png" {
		t.Fatalf("%+v %v", img, err)
	}
	// Every redirect is checked on the address it dials.
	_, err = f.Get(ctx, srv.URL+"/to-private")
	wantError(t, err, "10.255.255.1")
	_, err = f.Get(ctx, srv.URL+"/to-ipv6-loopback")
	wantError(t, err, "::1")
	_, err = f.Get(ctx, srv.URL+"/to-file")
	wantError(t, err, "file")
	_, err = f.Get(ctx, srv.URL+"/big")
	wantError(t, err, "IMAGE_MAX_BYTES")
	_, err = f.Get(ctx, srv.URL+"/missing")
	wantError(t, err, "404")
	_, err = f.Get(ctx, srv.URL+"/stall")
	wantError(t, err, "within")
}

func TestPublicAddresses(t *testing.T) {
	for ip, want := range map[string]bool{"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false,
		"172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "::1": false,
		"fc00::1": false, "fe80::1": false, "0.0.0.0": false, "::ffff:127.0.0.1": false} {
		f := New(Public, 1, time.Second)
		host := ip
		if strings.Contains(ip, ":") {
			host = "[" + ip + "]"
		}
		if got := f.checkDial("tcp", host+":80", nil) == nil; got != want {
			t.Errorf("%s public = %v, want %v", ip, got, want)
		}
	}
}

// A data: URL is read as browsers read it: its ";base64" marker in any
// case, its base64 wrapped or spaced (ASCII whitespace ignored), its data
// %-escaped; every spelling of the same image gives the same bytes.
func TestDataURLsAreReadAsBrowsersReadThem(t *testing.T) {
	f := New(DataOnly, 128, time.Second)
	b64 := base64.StdEncoding.EncodeToString(pngBytes)
	spellings := map[string]string{
		"wrapped":       "data:image/png;base64," + b64[:8] + "\r\n" + b64[8:],
		"spaced":        "data:image/png;base64," + b64[:4] + " " + b64[4:12] + "\t" + b64[12:],
		"upper marker":  "data:image/png;BASE64," + b64,
		"escaped":       "data:image/png;base64," + strings.ReplaceAll(b64, "=", "%3D"),
		"not base64":    "data:image/png," + url.PathEscape(string(pngBytes)),
		"with a param":  "data:image/png;name=cat.png;base64," + b64,
		"space in meta": "data:image/png ; base64," + b64,
	}
	for name, u := range spellings {
		if img, err := f.Get(context.Background(), u); err != nil || string(img.Data) != string(pngBytes) || img.ContentType != "image/png" {
			t.Errorf("%s: Get = %+v, %v", name, img, err)
		}
	}
	_, err := f.Get(context.Background(), "data:image/png;base64,"+b64[:5]+"%zz")
	wantError(t, err, "malformed")
}

// An image that cannot be fetched is a 400 that names its URL, but not the
// URL's credentials: the message goes to the client and into the record.
func TestErrorsDoNotRepeatAURLsCredentials(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	f := New(Loopback, 128, time.Second)
	u := strings.Replace(srv.URL, "://", "://me:hunter2@", 1) + "/cat.png?X-Amz-Signature=s3cr3t&v=1"
	_, err := f.Get(context.Background(), u)
	wantError(t, err, "404")
	if msg := err.Error(); strings.Contains(msg, "hunter2") || strings.Contains(msg, "s3cr3t") || !strings.Contains(msg, "/cat.png") {
		t.Fatalf("the error repeats the URL's credentials, or loses the URL: %s", msg)
	}
}

// An SVG is refused, as any image that is text, with a message that says
// it is an SVG and what to send instead; it was "not an image (text/plain;
// charset=utf-8)" for a data:image/svg+xml.
func TestAnSVGIsRefusedAsOne(t *testing.T) {
	f := New(DataOnly, 1024, time.Second)
	svg := `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`
	for _, u := range []string{
		"data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg)),
		"data:image/svg+xml," + url.PathEscape(svg),
		"data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte(svg[21:])), // declared wrongly, no XML declaration
	} {
		_, err := f.Get(context.Background(), u)
		wantError(t, err, "an SVG image")
		wantError(t, err, "PNG")
	}
	_, err := f.Get(context.Background(), "data:image/png;base64,"+base64.StdEncoding.EncodeToString([]byte("<html>a page</html>")))
	wantError(t, err, "not an image (text/html")
}

// An image cut short (a download broken off, base64 truncated on the way)
// is a 400 that says so; the sniffer reads only the first bytes, so a PNG
// of which only the header arrived went up to Qwen. Bytes after an image's
// end marker are allowed.
func TestAnImageCutShortIsRefused(t *testing.T) {
	f := New(DataOnly, 1<<10, time.Second)
	data := func(mediaType string, b []byte) string {
		return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
	}
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9}
	webp := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	for name, c := range map[string]struct {
		url, want string
	}{
		"png header only":  {data("image/png", pngBytes[:33]), "PNG is cut short"},
		"png without IEND": {data("image/png", pngBytes[:len(pngBytes)-12]), "PNG is cut short"},
		"jpeg without EOI": {data("image/jpeg", jpeg[:len(jpeg)-2]), "JPEG is cut short"},
		"webp cut":         {data("image/webp", webp[:len(webp)-4]), "WebP is cut short (30 bytes of the 34"},
	} {
		_, err := f.Get(context.Background(), c.url)
		if err == nil {
			t.Errorf("%s: taken", name)
			continue
		}
		wantError(t, err, c.want)
	}
	for name, b := range map[string][]byte{"png": pngBytes, "png and a trailer": append(append([]byte{}, pngBytes...), "camera data"...), "jpeg": jpeg, "webp": webp} {
		if _, err := f.Get(context.Background(), data("image/png", b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// An image fetched from a URL is uploaded under the name its URL ends
// with only when that name is printable, short and of the image's type:
// Qwen's chat shows it and the model may repeat it. A URL's %0A or %22
// went into the name, and /photo.php serving a PNG was "photo.php".
func TestAnImagesNameIsPrintableAndOfItsType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pngBytes) }))
	defer srv.Close()
	f := New(Loopback, 1<<10, time.Second)
	for path, want := range map[string]string{
		"/cat.png":                              "cat.png",
		"/CAT.PNG":                              "CAT.PNG",
		"/photo.php?id=3":                       "photo.png",
		"/Ünïcödé%20pic.png":                    "Ünïcödé pic.png",
		"/we%22ird%0Aname.png":                  "image-",
		"/a%5C..%2F..%2Fetc.png":                "etc.png",
		"/" + strings.Repeat("n", 120) + ".png": "image-",
		"/.png":                                 "image-",
		"/":                                     "image-",
		"/noextension":                          "image-",
	} {
		img, err := f.Get(context.Background(), srv.URL+path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if img.Name != want && !(want == "image-" && strings.HasPrefix(img.Name, "image-") && strings.HasSuffix(img.Name, ".png")) {
			t.Errorf("%s: named %q, want %q", path, img.Name, want)
		}
	}
}

// A turn's image URLs are fetched at once, not one after the other (which
// took the sum of their times): two URLs whose server answers only when
// both requests have arrived are both fetched, where one after the other
// the first waited for the second until IMAGE_FETCH_TIMEOUT. The images
// keep their order, and a failure is the first in that order.
func TestSeveralURLsAreFetchedAtOnce(t *testing.T) {
	var mu sync.Mutex
	arrived, both := 0, make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		if arrived++; arrived == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
			w.Write(pngBytes)
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	f := New(Loopback, 1<<10, 5*time.Second)
	getAll := func(urls ...string) ([]*Image, error) {
		return All(context.Background(), len(urls), func(ctx context.Context, i int) (*Image, error) { return f.Get(ctx, urls[i]) })
	}
	images, err := getAll(srv.URL+"/first.png", srv.URL+"/second.png")
	if err != nil || len(images) != 2 || images[0].Name != "first.png" || images[1].Name != "second.png" {
		t.Fatalf("%+v %v", images, err)
	}
	_, err = getAll(dataURL(pngBytes), srv.URL+"/missing", "data:image/png;base64,@@")
	wantError(t, err, "404")
}
