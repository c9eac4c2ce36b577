//go:build js && wasm

package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"time"
)

// MaxRequestTime bounds how long Go keeps a request: past it the request's context is cancelled,
// so a request whose JavaScript side was cancelled by the runtime cannot hold Go memory for ever.
const MaxRequestTime = 60 * time.Second

// request is one request being served, from serve until done.
type request struct {
	s      *server
	id     int
	port   js.Value
	ctx    context.Context
	cancel context.CancelFunc

	// pending counts the handler and its WaitUntil work; at zero the port is told done.
	pending int
	ended   bool
}

// newRequest registers a request answering through port.
func (s *server) newRequest(port js.Value) *request {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	r := &request{s: s, id: s.nextID, port: port, pending: 1}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), requestKey{}, r), MaxRequestTime)
	r.ctx, r.cancel = ctx, cancel
	s.requests[r.id] = r
	s.stats.requests++
	return r
}

// run serves req with h, answers through the port, then ends the handler's share of the request.
// The request's context is cancelled when the handler returns, as net/http does.
func (r *request) run(h http.Handler, req *http.Request) {
	w := newResponseWriter()
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.s.count(func(c *counters) { c.panics++ })
				w.reset(http.StatusInternalServerError, fmt.Sprintf("serve: the handler failed: %v", p))
			}
		}()
		h.ServeHTTP(w, req)
	}()
	r.post("respond", w.status(), w.head(), bytesToJS(w.body.Bytes()))
	r.cancel()
	r.release()
}

// hold counts one more piece of work (WaitUntil) that keeps the request alive; false when it has ended.
func (r *request) hold() bool {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.ended {
		return false
	}
	r.pending++
	return true
}

// release ends one piece of work; the last one tells the port done and forgets the request.
func (r *request) release() {
	r.s.mu.Lock()
	r.pending--
	last := r.pending == 0 && !r.ended
	if last {
		r.ended = true
		delete(r.s.requests, r.id)
	}
	r.s.mu.Unlock()
	if last {
		r.cancel()
		r.post("done")
	}
}

// post calls a port method; a throwing port (the glue failed) is counted, not fatal.
func (r *request) post(method string, args ...any) {
	defer func() {
		if recover() != nil {
			r.s.count(func(c *counters) { c.portErrors++ })
		}
	}()
	r.port.Call(method, args...)
}

// httpRequest builds the handler's *http.Request from the glue's head and the body bytes it read
// first; more says the body goes on, to be read through the port.
func (r *request) httpRequest(head string, body []byte, more bool) (*http.Request, error) {
	method, target, header, err := parseHead(head)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	length := int64(len(body))
	if more {
		length = -1
		if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
			length = n
		}
	}
	req := &http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          &bodyReader{r: r, buf: body, more: more},
		ContentLength: length,
		Host:          u.Host,
		RemoteAddr:    header.Get("Cf-Connecting-Ip"), // what syumai/workers sets too: a Worker sees no socket
		RequestURI:    u.RequestURI(),
	}
	return req.WithContext(r.ctx), nil
}

// emptyRequest stands in for a request the glue handed over malformed, so a handler can answer it.
func (r *request) emptyRequest() *http.Request {
	req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{}, Body: http.NoBody}
	return req.WithContext(r.ctx)
}

// parseHead splits "METHOD\nURL\nname\nvalue..." into its parts.
func parseHead(head string) (method, target string, h http.Header, err error) {
	parts := strings.Split(head, "\n")
	if len(parts) < 2 || len(parts)%2 != 0 || parts[0] == "" || parts[1] == "" {
		return "", "", nil, errors.New("the head is not METHOD, URL and name/value pairs")
	}
	return parts[0], parts[1], headerOf(parts[2:]), nil
}

// headerOf reads name/value pairs into a Header.
func headerOf(pairs []string) http.Header {
	h := make(http.Header, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Add(pairs[i], pairs[i+1])
	}
	return h
}

// bodyReader is a request body: the bytes the glue read first, then chunks pulled through the port.
type bodyReader struct {
	r    *request
	buf  []byte
	more bool
	err  error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if !b.more {
			return 0, io.EOF
		}
		res, err := await(b.r.ctx, func(call int) { b.r.post("read", call) })
		switch {
		case err != nil:
			b.err = err
		case res.err != "":
			b.err = errors.New("reading the request body: " + res.err)
		default:
			b.buf, b.more = res.body, res.more
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// Close drops what is left; the glue cancels the stream when the request ends.
func (b *bodyReader) Close() error {
	b.buf, b.more = nil, false
	return nil
}

// bytesOf copies a Uint8Array (or null) into Go.
func bytesOf(v js.Value) []byte {
	if v.Type() != js.TypeObject {
		return nil
	}
	n := v.Get("byteLength").Int()
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, v)
	return b
}

// uint8Array is the Uint8Array constructor.
var uint8Array = js.Global().Get("Uint8Array")

// bytesToJS copies b into a new Uint8Array, or gives null for no bytes.
func bytesToJS(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	a := uint8Array.New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// headOf renders header as the "\nname\nvalue" pairs of a head, leaving out values a header
// cannot carry.
func headOf(prefix string, header http.Header) string {
	var sb bytes.Buffer
	sb.WriteString(prefix)
	for name, values := range header {
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n") || strings.ContainsAny(name, "\r\n") {
				continue
			}
			sb.WriteByte('\n')
			sb.WriteString(name)
			sb.WriteByte('\n')
			sb.WriteString(v)
		}
	}
	return sb.String()
}
