// Package imagefetch reads the images clients send by URL: data: URLs,
// decoded, and http(s) URLs, fetched — only when allowed, with a size and a
// time limit, and never from loopback or private addresses, checked on the
// address actually dialled (so DNS cannot point a public name inward) and
// on every redirect.
package imagefetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	qp "qwenproxy"
	"qwenproxy/internal/redact"
)

// Policy says which image URLs may be fetched.
type Policy string

const (
	// DataOnly takes data: URLs only (ALLOW_IMAGE_URLS=false).
	DataOnly Policy = "false"
	// Public also fetches http(s) URLs of public addresses
	// (ALLOW_IMAGE_URLS=true).
	Public Policy = "true"
	// Loopback also allows 127.0.0.0/8, for tests (ALLOW_IMAGE_URLS=loopback).
	Loopback Policy = "loopback"
)

// maxRedirects bounds a fetch's redirects.
const maxRedirects = 5

// Image is an image taken in.
type Image struct {
	Data        []byte
	ContentType string // image/png, image/jpeg, …
	Name        string // a file name for the upload: image-<sha256 prefix>.<ext>
	SHA256      string // hex of Data
}

// Error is a client's image that cannot be taken, with why.
type Error struct {
	URL     string // the URL, shortened
	Message string
}

func (e *Error) Error() string { return e.URL + ": " + e.Message }

// Fetcher reads images. Its zero value takes data: URLs only, up to 10 MiB.
type Fetcher struct {
	Policy   Policy
	MaxBytes int64         // default 10 MiB
	Timeout  time.Duration // a fetch, redirects included; default 15 s
	client   *http.Client
}

// New returns a Fetcher.
func New(policy Policy, maxBytes int64, timeout time.Duration) *Fetcher {
	if maxBytes <= 0 {
		maxBytes = 10 << 20
	}
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	f := &Fetcher{Policy: policy, MaxBytes: maxBytes, Timeout: timeout}
	dialer := &net.Dialer{Timeout: timeout, Control: f.checkDial}
	f.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // the address dialled must be the image's own
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: timeout,
			MaxIdleConns:        8,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("a redirect to a %s: URL", req.URL.Scheme)
			}
			return nil // the address is checked when it is dialled
		},
	}
	return f
}

// Get takes the image at u: a data: URL, or an http(s) URL when the policy
// allows fetching. Failures are *Error.
func (f *Fetcher) Get(ctx context.Context, u string) (*Image, error) {
	if qp.IsDataURL(u) {
		return f.decodeData(u)
	}
	got, err := f.Fetch(ctx, u, f.imageKind())
	if err != nil {
		return nil, err
	}
	return f.image(Short(u), got.Data, got.ContentType, got.Name)
}

// decodeData reads data:[<type>][;base64],<data>.
func (f *Fetcher) decodeData(u string) (*Image, error) {
	short := Short(u)
	declared, isBase64, payload, ok := SplitDataURL(u)
	if !ok {
		return nil, &Error{short, "a data: URL needs a comma before its data"}
	}
	// Before decoding, a bound no encoding of an image within MaxBytes
	// passes (base64 is 4/3, %-escapes 3 times, plus whitespace); the
	// exact check is on the decoded bytes.
	if int64(len(payload)) > 3*f.MaxBytes+1024 {
		return nil, &Error{short, fmt.Sprintf("the image is over IMAGE_MAX_BYTES (%d)", f.MaxBytes)}
	}
	data, err := DataBytes(payload, isBase64)
	if err != nil {
		return nil, &Error{short, err.Error()}
	}
	if int64(len(data)) > f.MaxBytes {
		return nil, &Error{short, fmt.Sprintf("the image is over IMAGE_MAX_BYTES (%d)", f.MaxBytes)}
	}
	return f.image(short, data, declared, "")
}

// SplitDataURL splits data:[<type>][;<param>…][;base64],<data> into its
// media type, whether its data is base64 (the ";base64" marker is matched
// regardless of case, as browsers match it) and its data, still encoded.
func SplitDataURL(u string) (mediaType string, isBase64 bool, payload string, ok bool) {
	if len(u) < len("data:") || !strings.EqualFold(u[:len("data:")], "data:") {
		return "", false, "", false
	}
	meta, payload, ok := strings.Cut(u[len("data:"):], ",")
	if !ok {
		return "", false, "", false
	}
	if i := strings.LastIndexByte(meta, ';'); i >= 0 && strings.EqualFold(strings.TrimSpace(meta[i+1:]), "base64") {
		isBase64, meta = true, meta[:i]
	}
	mediaType, _, _ = strings.Cut(meta, ";")
	return strings.TrimSpace(mediaType), isBase64, payload, true
}

// DataBytes decodes a data: URL's data as browsers do: percent-escapes
// first, then, for base64, the standard alphabet with or without padding,
// ASCII whitespace ignored (base64 wrapped at 76 columns, or copied from a
// terminal with spaces, is common in clients' bodies).
func DataBytes(payload string, isBase64 bool) ([]byte, error) {
	if strings.Contains(payload, "%") {
		s, err := url.PathUnescape(payload)
		if err != nil {
			return nil, errors.New("the data: URL's data is malformed (a bad %-escape)")
		}
		payload = s
	}
	if !isBase64 {
		return []byte(payload), nil
	}
	if strings.ContainsAny(payload, " \t\n\f\r") {
		payload = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' {
				return -1
			}
			return r
		}, payload)
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(payload); err != nil {
			return nil, errors.New("the image's base64 is malformed")
		}
	}
	return data, nil
}

// sniffable are the image types http.DetectContentType recognises by their
// bytes: declared as one of these, bytes it does not recognise are no image.
var sniffable = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/bmp": true, "image/x-icon": true, "image/vnd.microsoft.icon": true, "image/avif": true}

// image checks that data is an image (by its bytes; a declared type that is
// not an image is refused too) and names it.
func (f *Fetcher) image(short string, data []byte, declared, name string) (*Image, error) {
	if len(data) == 0 {
		return nil, &Error{short, "the image is empty"}
	}
	sniffed := http.DetectContentType(data)
	ct := sniffed
	if !strings.HasPrefix(sniffed, "image/") {
		mt, _, err := mime.ParseMediaType(declared)
		if err == nil && strings.HasPrefix(mt, "image/") && !sniffable[mt] && sniffed == "application/octet-stream" {
			ct = mt // a format the sniffer does not know (HEIC, …), declared as an image
		} else if isSVG(mt, data) {
			return nil, &Error{short, "an SVG image (vector graphics, XML text) is not taken: send it as a raster image (PNG, JPEG, WebP or GIF)"}
		} else {
			return nil, &Error{short, "not an image (" + sniffed + ")"}
		}
	}
	if why := cutShort(ct, data); why != "" {
		return nil, &Error{short, why}
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	return &Image{Data: data, ContentType: ct, Name: fileName(name, ct, hexSum), SHA256: hexSum}, nil
}

// maxNameBytes bounds an upload's file name taken from a URL.
const maxNameBytes = 100

// extensions are the file extensions of image types, the first one used
// for a name the proxy makes.
var extensions = map[string][]string{"image/png": {"png"}, "image/jpeg": {"jpeg", "jpg", "jpe"}, "image/gif": {"gif"},
	"image/webp": {"webp"}, "image/bmp": {"bmp"}, "image/x-icon": {"ico"}, "image/vnd.microsoft.icon": {"ico"},
	"image/avif": {"avif"}, "image/heic": {"heic"}, "image/heif": {"heif"}}

// fileName is the name an image is uploaded under (Qwen's chat shows it,
// and the model may name it): the name its URL ends with, when that is
// printable, short and has an extension, that of the image's type (a URL's
// /photo.php serving a JPEG is photo.jpeg), else image-<sha256 prefix>.<ext>.
// A name taken as the URL gave it put control characters, quotes or a
// misleading type into Qwen's chat.
func fileName(fromURL, contentType, hexSum string) string {
	exts := extensions[contentType]
	if len(exts) == 0 {
		exts = []string{strings.TrimPrefix(contentType, "image/")}
	}
	stem, ext, dotted := fromURL, "", false
	if i := strings.LastIndexByte(fromURL, '.'); i >= 0 {
		stem, ext, dotted = fromURL[:i], strings.ToLower(fromURL[i+1:]), true
	}
	printable := strings.IndexFunc(stem, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == '"' || r == '\\' || r == '/' || r == utf8.RuneError
	}) < 0
	if !dotted || strings.TrimSpace(stem) == "" || !printable || len(fromURL) > maxNameBytes || !utf8.ValidString(fromURL) {
		return "image-" + hexSum[:12] + "." + exts[0]
	}
	if slices.Contains(exts, ext) {
		return fromURL
	}
	return stem + "." + exts[0]
}

// cutShort says why an image of a format that marks its end is cut short
// (a download broken off, base64 truncated by whatever carried it), or "":
// the sniffer reads only its first bytes, so a PNG of which only the
// header arrived went up to Qwen as an image. Only the end marker is
// looked for, not the image decoded: bytes after it (which some cameras
// and editors append) are allowed.
func cutShort(contentType string, data []byte) string {
	switch contentType {
	case "image/png":
		// The IEND chunk: its length (0), type and CRC, always the same.
		if !bytes.Contains(data, []byte("\x00\x00\x00\x00IEND\xaeB`\x82")) {
			return "the PNG is cut short (its end, the IEND chunk, is missing): send the whole file"
		}
	case "image/jpeg":
		if bytes.LastIndex(data, []byte{0xff, 0xd9}) < 2 {
			return "the JPEG is cut short (its end marker, FF D9, is missing): send the whole file"
		}
	case "image/webp":
		// RIFF's header gives the length of what follows it.
		if len(data) >= 8 && uint64(len(data)) < 8+uint64(binary.LittleEndian.Uint32(data[4:8])) {
			return fmt.Sprintf("the WebP is cut short (%d bytes of the %d its header gives): send the whole file", len(data), 8+uint64(binary.LittleEndian.Uint32(data[4:8])))
		}
	}
	return ""
}

// isSVG reports whether an image the sniffer took for text is an SVG:
// declared so, or an XML document whose root is <svg>. It is refused as
// not an image like any text, but a client that sent an image/svg+xml was
// told "not an image (text/plain)", which it has no reason to believe.
func isSVG(declared string, data []byte) bool {
	if declared == "image/svg+xml" {
		return true
	}
	head := data[:min(len(data), 1024)]
	return bytes.Contains(head, []byte("<svg")) && !bytes.Contains(head, []byte("<html"))
}

// checkDial refuses any address but a public one (and 127.0.0.0/8 under the
// Loopback policy), on the address actually dialled: after DNS, and on every
// redirect.
func (f *Fetcher) checkDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialling %s: not an IP address", address)
	}
	ip = ip.Unmap()
	if f.Policy == Loopback && ip.Is4() && netip.MustParsePrefix("127.0.0.0/8").Contains(ip) {
		return nil
	}
	if !public(ip) {
		return &BlockedError{ip}
	}
	return nil
}

// BlockedError is a fetch refused for the address it would reach: one that
// is not public.
type BlockedError struct{ ip netip.Addr }

func (e *BlockedError) Error() string {
	return "the address " + e.ip.String() + " is loopback, private or otherwise not public, and is never fetched"
}

// nonPublic are the ranges that are not the public internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 can reach IPv4 inside
	netip.MustParsePrefix("2001:db8::/32"),
}

func public(ip netip.Addr) bool {
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// cause is the innermost message of err (a blocked address says so).
func cause(err error) string {
	var b *BlockedError
	if errors.As(err, &b) {
		return b.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// Short is a URL as an error names it: readable, a data: URL by its head,
// and free of the URL's credentials (a password, a signed URL's
// signature), as it is shown to the client and recorded.
func Short(u string) string {
	u = redact.URL(u)
	if len(u) > 80 {
		return u[:60] + "…"
	}
	return u
}
