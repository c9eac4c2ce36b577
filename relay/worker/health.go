//go:build js && wasm

package main

import (
	"bytes"
	"net/http"
	"runtime"
	"strings"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/worker/serve"
)

// withInstanceHealth adds the Go instance's figures to the relay's healthy GET /v1/health answer:
// {"ok": true, ..., "instance": serve.Stats}. Any other answer (a misconfigured relay's 500) passes as it
// is. With ?gc a garbage collection runs first, so goHeapLiveBytes is the heap live now rather
// than at the last collection, when requests in flight held part of it (it costs about as much
// CPU as an event batch).
func withInstanceHealth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/v1/health") {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.code == 0 || rec.code == http.StatusOK {
			if r.URL.Query().Has("gc") {
				// Values that wait for their finalizers survive one collection: let those run, then collect again.
				runtime.GC()
				runtime.Gosched()
				runtime.GC()
			}
			relay := bytes.TrimSpace(rec.body.Bytes())
			relay = bytes.TrimSuffix(relay, []byte("}"))
			body := append(append([]byte{}, relay...), `,"instance":`...)
			body = append(append(body, instanceJSON(serve.ReadStats())...), "}\n"...)
			rec.body.Reset()
			rec.body.Write(body)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(max(rec.code, http.StatusOK))
		w.Write(rec.body.Bytes())
	})
}

// instanceJSON is the instance's figures.
func instanceJSON(st serve.Stats) []byte {
	j := jsontext.NewWriter(512)
	st.WriteJSON(j)
	return j.Bytes()
}

// recorder keeps an answer to pass on or replace.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
