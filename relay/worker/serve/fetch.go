//go:build js && wasm

package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"
)

// Redirect modes of the runtime's fetch.
const (
	RedirectFollow = "follow"
	RedirectManual = "manual" // a 3xx answer comes back as it is
	RedirectError  = "error"
)

// DefaultMaxResponseBytes is how much of an answer's body Fetch reads when MaxResponseBytes is 0.
const DefaultMaxResponseBytes = 1 << 20

// Fetch sends requests with the runtime's fetch, on behalf of the request the request's context
// comes from (a handler's r.Context(), or the context WaitUntil gives): the glue makes the call
// in that request's JavaScript context, so the runtime ties it to that request. It has the Do
// method of *http.Client and links none of net/http's client, TLS or http2.
type Fetch struct {
	Redirect         string // RedirectFollow when empty
	MaxResponseBytes int64  // an answer's body is cut here, and reading it past the cut fails
}

// ErrNoRequest is returned for a context that belongs to no request being served.
var ErrNoRequest = errors.New("serve: fetch needs the context of a request being served (r.Context() or WaitUntil's)")

// Do sends req and returns the answer with its body read (up to MaxResponseBytes). It returns
// when the answer came, or when req's context ends, after asking the glue to abort the fetch.
func (f Fetch) Do(req *http.Request) (*http.Response, error) {
	p, err := f.start(req)
	if err != nil {
		return nil, err
	}
	return p.finish()
}

// DoAll sends reqs at once and waits for every answer on the calling goroutine, so a fan-out
// costs no goroutine per request (each would leave its record and stack in the instance's memory
// for good). The i-th answer or error is reqs[i]'s, as Do gives it.
func (f Fetch) DoAll(reqs []*http.Request) ([]*http.Response, []error) {
	out := make([]*http.Response, len(reqs))
	errs := make([]error, len(reqs))
	sent := make([]pendingFetch, len(reqs))
	for i, req := range reqs {
		sent[i], errs[i] = f.start(req)
	}
	for i := range reqs {
		if errs[i] == nil {
			out[i], errs[i] = sent[i].finish()
		}
	}
	return out, errs
}

// pendingFetch is a fetch posted to the glue, waiting for its answer.
type pendingFetch struct {
	req   *http.Request
	r     *request
	call  int
	ch    chan result
	limit int64
}

// start posts req's fetch to the glue of the request its context belongs to.
func (f Fetch) start(req *http.Request) (pendingFetch, error) {
	r := fromContext(req.Context())
	if r == nil {
		return pendingFetch{}, ErrNoRequest
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return pendingFetch{}, fmt.Errorf("serve: reading the request body: %w", err)
		}
		body = b
	}
	redirect := f.Redirect
	if redirect == "" {
		redirect = RedirectFollow
	}
	limit := f.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	header := req.Header.Clone()
	header.Del("Content-Length") // fetch sets it from the body
	head := headOf(req.Method+"\n"+req.URL.String(), header)
	call, ch := expect()
	r.post("fetch", call, head, bytesToJS(body), jsString(redirect), float64(limit))
	return pendingFetch{req: req, r: r, call: call, ch: ch, limit: limit}, nil
}

// finish waits for the answer, or for the request's context to end, when it asks the glue to
// abort the fetch.
func (p pendingFetch) finish() (*http.Response, error) {
	res, err := wait(p.req.Context(), p.call, p.ch)
	if err != nil {
		p.r.post("abort", p.call)
		return nil, err
	}
	if res.err != "" {
		return nil, errors.New(res.err)
	}
	return &http.Response{
		Status:        strconv.Itoa(res.status) + " " + http.StatusText(res.status),
		StatusCode:    res.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        headerOf(strings.Split(strings.TrimPrefix(res.head, "\n"), "\n")),
		Body:          &cutBody{Reader: bytes.NewReader(res.body), cut: res.more, limit: p.limit},
		ContentLength: contentLength(res),
		Request:       p.req,
	}, nil
}

// jsStrings are the redirect modes as JavaScript strings, made once: each string handed to
// JavaScript anew costs Go a finalizer.
var jsStrings = map[string]js.Value{RedirectFollow: js.ValueOf(RedirectFollow), RedirectManual: js.ValueOf(RedirectManual), RedirectError: js.ValueOf(RedirectError)}

// jsString is s as a JavaScript string, made once when it is a redirect mode.
func jsString(s string) any {
	if v, ok := jsStrings[s]; ok {
		return v
	}
	return s
}

// contentLength is the answer's length when its whole body came, else -1 (unknown).
func contentLength(res result) int64 {
	if res.more {
		return -1
	}
	return int64(len(res.body))
}

// cutBody reads an answer's body; one cut at the limit fails after the bytes that came.
type cutBody struct {
	*bytes.Reader
	cut   bool
	limit int64
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF && b.cut {
		err = fmt.Errorf("serve: the answer's body is over %d bytes", b.limit)
	}
	return n, err
}

func (b *cutBody) Close() error { return nil }
