//go:build js && wasm

package serve

import (
	"bytes"
	"net/http"
)

// responseWriter buffers a handler's answer; the glue gets it whole when the handler returns.
type responseWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*responseWriter)(nil)

func newResponseWriter() *responseWriter { return &responseWriter{header: http.Header{}} }

func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader keeps the first status written, as net/http does.
func (w *responseWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 100 && code <= 999 {
		w.code = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}

// status is the answer's status: 200 when the handler wrote none.
func (w *responseWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// head is the answer's header as a head for the glue. Content-Length is left out: the runtime
// sets it from the body it is given.
func (w *responseWriter) head() string {
	w.header.Del("Content-Length")
	return headOf("", w.header)
}

// reset replaces whatever was written with a plain-text error.
func (w *responseWriter) reset(code int, text string) {
	w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}}
	w.code = code
	w.body.Reset()
	w.body.WriteString(text + "\n")
}
