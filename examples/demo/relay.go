package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

// The "Heap blocked" mode (index.html?heap=blocked): Heap's CDN answers 404 as an ad-blocker would
// make it fail, the bridge sends events to the edge relay mounted here, and the relay forwards them
// to a fake of Heap's server-side track API that runs in this process. The same relay takes Heap's
// signed segment webhook (segments.go) and sends Bulk Identify to a fake Userpilot API, in process too.
const (
	demoAppID           = "1234567890"                        // the stand-in snippets' heap.load("1234567890")
	relayPrefix         = "/heap-relay/"                      // the relay answers POST /heap-relay/v1/events
	fakeHeapPrefix      = "/heap-server-api/"                 // the fake Heap API: GET /heap-server-api/_events
	blockedCDN          = "/ad-blocked/"                      // index.html points heapStandInCdn here when blocked
	fakeHeapURL         = "http://heap-api.demo.invalid"      // HEAP_API_URL; served in process, never dialled
	fakeUserpilotPrefix = "/userpilot-api/"                   // the fake Userpilot API: GET /userpilot-api/_requests
	fakeUserpilotURL    = "http://userpilot-api.demo.invalid" // USERPILOT_API_URL; served in process, never dialled
	demoWebhookSecret   = "demo-heap-webhook-secret"          // HEAP_WEBHOOK_SECRET: a demo value, printed in the docs
	demoUserpilotKey    = "demo-userpilot-api-key"            // USERPILOT_API_KEY the fake Userpilot API takes
)

// relayEnv is the relay's configuration as the Worker variables docs/relay.md describes.
func relayEnv(origins []string) map[string]string {
	return map[string]string{
		"HEAP_APP_ID":         demoAppID,
		"HEAP_API_URL":        fakeHeapURL,
		"ALLOWED_ORIGINS":     strings.Join(origins, ","),
		"HEAP_WEBHOOK_SECRET": demoWebhookSecret,
		"USERPILOT_API_KEY":   demoUserpilotKey,
		"USERPILOT_API_URL":   fakeUserpilotURL,
	}
}

// mountRelay adds the relay, the fake Heap and Userpilot APIs, the blocked CDN and Heap's stand-in
// for the segment webhook to mux. origins are the page origins the relay allows: browsers send
// Origin on a same-origin POST too.
func mountRelay(mux *http.ServeMux, origins []string) error {
	env := relayEnv(origins)
	cfg, err := relay.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	heap := fakeheap.New(demoAppID)
	userpilot := fakeuserpilot.New(demoUserpilotKey)
	client := &http.Client{Transport: inProcess{
		strings.TrimPrefix(fakeHeapURL, "http://"):      heap,
		strings.TrimPrefix(fakeUserpilotURL, "http://"): userpilot,
	}}
	relayHandler := relay.NewHandler(cfg, relay.Deps{Client: client})
	mux.Handle(relayPrefix, noStore(relayHandler))
	mux.Handle(fakeHeapPrefix, noStore(http.StripPrefix(strings.TrimSuffix(fakeHeapPrefix, "/"), heap)))
	mux.Handle(fakeUserpilotPrefix, noStore(http.StripPrefix(strings.TrimSuffix(fakeUserpilotPrefix, "/"), userpilot)))
	mux.Handle(webhookSamplePath, noStore(webhookSample{relay: &http.Client{Transport: inProcess{relayHost: relayHandler}}}))
	mux.HandleFunc(blockedCDN, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "blocked: the demo simulates an ad-blocker that blocks Heap's CDN", http.StatusNotFound)
	})
	return nil
}

// pageOrigins are the origins a browser sends for pages served on addr. A loopback or unspecified
// address is reachable as 127.0.0.1 and as localhost, so both are allowed.
func pageOrigins(addr net.Addr) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	port := strconv.Itoa(tcp.Port)
	switch {
	case tcp.IP.IsUnspecified():
		return []string{"http://127.0.0.1:" + port, "http://localhost:" + port}
	case tcp.IP.IsLoopback():
		return []string{"http://" + net.JoinHostPort(tcp.IP.String(), port), "http://localhost:" + port}
	default:
		return []string{"http://" + net.JoinHostPort(tcp.IP.String(), port)}
	}
}

// inProcess is an http.RoundTripper that serves requests for each host with its handler, without
// a network.
type inProcess map[string]http.Handler

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	handler := t[req.URL.Host]
	if handler == nil {
		return nil, fmt.Errorf("demo: no route to %s; it is not served in process", req.URL.Host)
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}}
	handler.ServeHTTP(rec, in)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(&rec.body),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the http.ResponseWriter inProcess hands the handler.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// noStore keeps browsers from caching the relay's and the fake Heap API's answers.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
