package relay

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// Paths the relay serves.
const (
	eventsPath = "/v1/events"
	healthPath = "/v1/health"
)

// Deps are the relay's outside dependencies; nil fields get real defaults.
type Deps struct {
	// Client sends Heap's requests; nil: http.DefaultClient natively (see defaultSender). An
	// *http.Client is used through a copy that follows no redirect (noRedirects).
	Client Sender
	Store  Store
	Now    func() time.Time
	Sleep  func(time.Duration)
	// Queue keeps and delivers accepted events; nil: this process's memory (localQueue).
	Queue Queue
	// Segments keeps and runs the segment jobs; nil: this process's memory (localSegments).
	Segments SegmentQueueClient
	// Log receives one JSON line per request and per delivery attempt; nil: none.
	Log func(line []byte)
	// After runs f after d, for the in-memory queue's deliveries; nil: they run only before a
	// request's own (what a Worker without Durable Objects does, having no timers of its own).
	After func(d time.Duration, f func())
}

// handler is the relay behind NewHandler.
type handler struct {
	cfg      Config
	now      func() time.Time
	limits   limiter
	forward  forwarder
	segments segmenter
	queue    Queue
	log      func([]byte)
}

// NewHandler returns the relay's HTTP handler (docs/contract.md §6). Zero tunables in cfg get their
// defaults; a cfg without AppID gives ConfigErrorHandler.
func NewHandler(cfg Config, deps Deps) http.Handler {
	if cfg.AppID == "" {
		return ConfigErrorHandler(errors.New("HEAP_APP_ID is required and is empty"))
	}
	cfg = withDefaults(cfg)
	if deps.Client == nil {
		deps.Client = defaultSender()
	}
	deps.Client = noRedirects(deps.Client)
	if deps.Store == nil {
		deps.Store = NewMemoryStore()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Sleep == nil {
		deps.Sleep = time.Sleep
	}
	if deps.Log == nil {
		deps.Log = func([]byte) {}
	}
	h := &handler{
		cfg:      cfg,
		now:      deps.Now,
		limits:   limiter{store: deps.Store, now: deps.Now},
		forward:  newForwarder(cfg, deps),
		segments: newSegmenter(cfg, deps),
		queue:    deps.Queue,
		log:      deps.Log,
	}
	if h.queue == nil {
		h.queue = newLocalQueue(cfg, deps, h.forward.api)
	}
	return recoverPanics(h)
}

// withDefaults fills zero tunables, for a Config built by hand rather than by ConfigFromEnv.
func withDefaults(cfg Config) Config {
	if cfg.HeapAPIURL == "" {
		cfg.HeapAPIURL = DefaultHeapAPIURL
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ClientPerMinute <= 0 {
		cfg.ClientPerMinute = DefaultClientPerMinute
	}
	if cfg.IdentityEventsPerMinute <= 0 {
		cfg.IdentityEventsPerMinute = DefaultIdentityEventsPerMinute
	}
	if cfg.HeapDeadline <= 0 {
		cfg.HeapDeadline = DefaultHeapDeadline
	}
	if cfg.UserpilotAPIURL == "" {
		cfg.UserpilotAPIURL = DefaultUserpilotAPIURL
	}
	if cfg.UserpilotDeadline <= 0 {
		cfg.UserpilotDeadline = DefaultUserpilotDeadline
	}
	if cfg.SegmentsMaxBodyBytes <= 0 {
		cfg.SegmentsMaxBodyBytes = DefaultSegmentsMaxBodyBytes
	}
	if cfg.HeapEventsPerMinute <= 0 {
		cfg.HeapEventsPerMinute = DefaultHeapEventsPerMinute
	}
	if cfg.HeapIdentityEventsPerMinute <= 0 {
		cfg.HeapIdentityEventsPerMinute = DefaultIdentityEventsPerMinute
	}
	if cfg.UserpilotRowsPerMinute <= 0 {
		cfg.UserpilotRowsPerMinute = DefaultUserpilotRowsPerMinute
	}
	if cfg.DeliveryMaxAge <= 0 {
		cfg.DeliveryMaxAge = DefaultDeliveryMaxHours * time.Hour
	}
	return cfg
}

// ConfigErrorHandler answers every request with 500 naming err, for when ConfigFromEnv fails;
// GET /v1/health answers {"ok": false, "error"}.
func ConfigErrorHandler(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		why := "relay is misconfigured: " + err.Error()
		if routePath(r.URL.Path) == healthPath {
			j := jsontext.NewWriter(64 + len(why))
			j.BeginObject()
			j.Key("ok")
			j.Bool(false)
			j.Key("error")
			j.String(why)
			j.EndObject()
			writeJSON(w, http.StatusInternalServerError, j)
			return
		}
		writeError(w, http.StatusInternalServerError, why)
	})
}

// recoverPanics turns a panic into a 500 JSON answer instead of a dropped connection.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				writeError(w, http.StatusInternalServerError, fmt.Sprintf("relay failed: %v", p))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// routePath strips any prefix before /v1/, so the relay also answers under a first-party Worker
// route such as example.com/heap-relay/*.
func routePath(p string) string {
	if i := strings.LastIndex(p, "/v1/"); i > 0 {
		return p[i:]
	}
	return p
}

// ServeHTTP routes; for POST /v1/events it checks in order: origin, client rate, content type,
// size, shape, signature, events, identity rates; then forwards to Heap. POST /v1/heap/segments
// is the segmenter's.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch routePath(r.URL.Path) {
	case healthPath:
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+healthPath+"; use GET")
			return
		}
		h.health(w, r)
		return
	case segmentsPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+segmentsPath+"; use POST")
			return
		}
		h.segments.serve(w, r)
		return
	case eventsPath:
		if r.Method != http.MethodPost && r.Method != http.MethodOptions {
			w.Header().Set("Allow", allowMethods)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+eventsPath+"; use POST")
			return
		}
	default:
		writeError(w, http.StatusNotFound, "no such path "+strconv.Quote(r.URL.Path)+"; the relay serves POST "+eventsPath+" and POST "+segmentsPath)
		return
	}
	if why := h.checkOrigin(w, r); why != "" {
		writeError(w, http.StatusForbidden, why)
		return
	}
	if r.Method == http.MethodOptions {
		preflight(w)
		return
	}
	h.events(w, r)
}

// events handles POST /v1/events after routing and the origin check.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	addr := clientAddr(r, h.cfg.TrustCFConnectingIP)
	client := Want{Key: "client:" + addr, N: 1, PerMinute: h.cfg.ClientPerMinute}
	// A first brake, in this isolate: a flood is refused before its body is read or a shard is
	// called. The count that holds across isolates is the shard's (shardlimit.go).
	if t := h.limits.take([]Want{client}); !t.OK {
		tooMany(w, t.Wait, limitText(t, clientLimitText(h.cfg.ClientPerMinute)))
		return
	}
	if why := checkContentType(r.Header.Get("Content-Type")); why != "" {
		writeError(w, http.StatusUnsupportedMediaType, why)
		return
	}
	body, read := readBody(w, r, h.cfg.MaxBodyBytes, "send fewer events per request")
	if !read {
		return
	}
	events, err := DecodeEvents(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if why := h.checkSignature(r, events); why != "" {
		writeError(w, http.StatusForbidden, why)
		return
	}
	ok, refused := validate(events, start)
	answer := Answer{Accepted: []string{}, Refused: refused}
	if len(ok) > 0 {
		queued, err := queuedOf(ok)
		var rejected []Refusal
		if err == nil {
			rejected, err = h.queue.Accept(r.Context(), start, addr, queued)
		}
		var limited *Limited
		if errors.As(err, &limited) {
			h.logRequest(start, http.StatusTooManyRequests, len(events), 0, limited.Why)
			tooMany(w, limited.Wait, limited.Why)
			return
		}
		if err != nil {
			h.logRequest(start, http.StatusServiceUnavailable, len(events), 0, err.Error())
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "the relay could neither deliver nor store the events: "+err.Error())
			return
		}
		no := map[string]bool{}
		for _, x := range rejected {
			no[x.ID] = true
		}
		answer.Refused = append(answer.Refused, rejected...)
		for _, e := range ok {
			if !no[e.id] {
				answer.Accepted = append(answer.Accepted, e.id)
			}
		}
	}
	h.logRequest(start, http.StatusOK, len(events), len(answer.Accepted), "")
	j := jsontext.NewWriter(64 + 64*len(events))
	answer.appendJSON(j)
	writeJSON(w, http.StatusOK, j)
}

// logRequest writes the JSON log line of a POST /v1/events.
func (h *handler) logRequest(start time.Time, status, events, accepted int, cause string) {
	j := jsontext.NewWriter(160)
	j.BeginObject()
	j.Key("what")
	j.String("POST " + eventsPath)
	j.Key("status")
	j.Int(status)
	j.Key("events")
	j.Int(events)
	j.Key("accepted")
	j.Int(accepted)
	j.Key("ms")
	j.Int(int(h.now().Sub(start).Milliseconds()))
	if cause != "" {
		j.Key("cause")
		j.String(cause)
	}
	j.EndObject()
	h.log(j.Bytes())
}

// health answers GET /v1/health: {"ok": true, "events": the queue's figures}, or ok false with
// 500 when the queue cannot be read.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	q, err := h.queue.Health(r.Context(), h.now())
	j := jsontext.NewWriter(512)
	j.BeginObject()
	j.Key("ok")
	j.Bool(err == nil)
	if err != nil {
		j.Key("error")
		j.String("the event queue does not answer: " + err.Error())
		j.EndObject()
		writeJSON(w, http.StatusInternalServerError, j)
		return
	}
	j.Key("events")
	q.write(j)
	if h.segments.queue != nil {
		sh, err := h.segments.queue.Health(r.Context(), h.now())
		j.Key("segments")
		if err != nil {
			j.BeginObject()
			j.Key("error")
			j.String("the segment queue does not answer: " + err.Error())
			j.EndObject()
		} else {
			sh.write(j)
		}
	}
	j.EndObject()
	writeJSON(w, http.StatusOK, j)
}

// limitText is the 429 text for a refused take: over names the limit that was reached, unless
// the store refused for want of room.
func limitText(t Taken, over string) string {
	if t.Full {
		return "rate-limit table full: the relay holds as many rate-limit buckets as it can, and none of them may be forgotten yet; new clients and identities are refused until one is"
	}
	return over
}

// clientAddr is the caller's address: Cloudflare's CF-Connecting-IP when trusted and present,
// else the connection's host.
func clientAddr(r *http.Request, trustCF bool) string {
	if ip := r.Header.Get("CF-Connecting-IP"); trustCF && ip != "" {
		return ip
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// readBody reads r's body up to limit bytes. Over it, or unreadable, it answers 413 (the message
// ends with hint) or 400 and returns false.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, hint string) (body []byte, ok bool) {
	tooLarge := func() string { return fmt.Sprintf("the body is over the relay's cap of %d bytes; %s", limit, hint) }
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge())
		return nil, false
	}
	var buf []byte
	if r.ContentLength >= 0 {
		buf = make([]byte, 0, r.ContentLength+1) // +1: the read that finds the end
	}
	body, err := readInto(http.MaxBytesReader(w, r.Body, limit), buf)
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge())
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "cannot read the body: "+err.Error())
		return nil, false
	}
	return body, true
}

// readInto is io.ReadAll into b's room first, so a body of known length is read without copies.
func readInto(r io.Reader, b []byte) ([]byte, error) {
	if cap(b) == 0 {
		return io.ReadAll(r)
	}
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // more than it said: let append find room
		}
	}
}

// checkContentType allows JSON and plain text (what sendBeacon sends for a string body).
func checkContentType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && mt != "text/plain") {
		return "content type " + strconv.Quote(ct) + " is not supported; send application/json or text/plain"
	}
	return ""
}

// tooMany answers 429 with a Retry-After of at least one second.
func tooMany(w http.ResponseWriter, wait time.Duration, why string) {
	w.Header().Set("Retry-After", seconds(wait))
	writeError(w, http.StatusTooManyRequests, why)
}

// writeError answers status with {"error": why}.
func writeError(w http.ResponseWriter, status int, why string) {
	j := jsontext.NewWriter(32 + len(why))
	j.BeginObject()
	j.Key("error")
	j.String(why)
	j.EndObject()
	writeJSON(w, status, j)
}

// writeJSON answers status with the JSON text j holds, and a newline.
func writeJSON(w http.ResponseWriter, status int, j *jsontext.Writer) {
	body := append(j.Bytes(), '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
