package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// Retry timing and answer sizes for the APIs the relay posts to.
const (
	firstBackoff          = 200 * time.Millisecond
	defaultPageRetryAfter = 30 * time.Second // told to the caller when the API gave no Retry-After
	maxAnswerBytes        = 64 << 10         // Heap answers with an empty body, Userpilot with a job; read at most this much
	maxDetailBytes        = 200              // of an answer's body, kept for a message
	maxRedirects          = 3                // 307 and 308 answers one post follows
)

// outcome is how an upstream API took a post.
type outcome struct {
	accepted   bool          // the API answered 2xx
	rejected   int           // the API answered this 4xx status other than 429
	detail     string        // with rejected: the start of the API's answer, for the message
	failure    string        // retries ran out: the last status or error
	retryAfter time.Duration // when failure is set, when the caller may try again
}

// Sender sends one HTTP request and returns the answer, as *http.Client does. The Worker passes
// one over the runtime's fetch, so that its build links no http.Transport, TLS or http2.
type Sender interface {
	Do(*http.Request) (*http.Response, error)
}

// BatchSender is a Sender that also sends several requests at once from the calling goroutine
// (the Worker's fetch): a fan-out to the Durable Objects then starts no goroutine per object, whose
// records and stacks would stay in the Worker's memory for good. The i-th answer is reqs[i]'s.
type BatchSender interface {
	Sender
	DoAll(reqs []*http.Request) ([]*http.Response, []error)
}

// forwarder posts batches to Heap, retrying within a deadline.
type forwarder struct {
	appID string
	api   upstream
}

// newForwarder returns the forwarder to Heap's track API for cfg.
func newForwarder(cfg Config, deps Deps) forwarder {
	return forwarder{appID: cfg.AppID, api: upstream{
		service: "Heap", payload: "the events", urlVar: "HEAP_API_URL",
		target: cfg.HeapAPIURL + "/api/track", deadline: cfg.HeapDeadline,
		client: deps.Client, now: deps.Now, sleep: deps.Sleep,
	}}
}

// bulkBody builds the body of Heap's bulk track request (docs/sdk-facts.md#heap-server-track):
// {"app_id", "events": [...]}, each event as eventObject writes it. app_id always comes from the
// configuration, never the request.
func bulkBody(appID string, events []valid) ([]byte, error) {
	queued, err := queuedOf(events)
	if err != nil {
		return nil, err
	}
	return (&Attempt{Events: queued}).Body(appID), nil
}

// queuedOf writes each event's object for Heap's bulk body.
func queuedOf(events []valid) ([]Queued, error) {
	size := 16
	for _, e := range events {
		size += 128 + 2*len(e.id) + len(e.identity) + len(e.name) + len(e.timestamp)
		for _, p := range e.properties {
			size += 8 + len(p.key)
			if v, ok := p.value.(string); ok {
				size += len(v)
			}
		}
	}
	// All the objects go in one buffer, as the elements of an array, and become one string that
	// each event's Body is a part of.
	j := jsontext.NewWriter(size)
	j.BeginArray()
	bounds := make([]int, 2*len(events))
	for i, e := range events {
		start := len(j.Bytes())
		if i > 0 {
			start++ // the comma before it
		}
		if err := eventObject(j, e); err != nil {
			return nil, err
		}
		bounds[2*i], bounds[2*i+1] = start, len(j.Bytes())
	}
	all := string(j.Bytes())
	out := make([]Queued, len(events))
	for i, e := range events {
		out[i] = Queued{ID: e.id, Identity: e.identity, Body: all[bounds[2*i]:bounds[2*i+1]]}
	}
	return out, nil
}

// eventObject writes one event of Heap's bulk body: {"identity", "timestamp", "event",
// "properties", "idempotency_key"}, with timestamp and properties left out when empty, and the
// event id as idempotency_key. Booleans go as "true"/"false": Heap's server API takes only
// strings and numbers.
func eventObject(j *jsontext.Writer, e valid) error {
	j.BeginObject()
	j.Key("identity")
	j.String(e.identity)
	if e.timestamp != "" {
		j.Key("timestamp")
		j.String(e.timestamp)
	}
	j.Key("event")
	j.String(e.name)
	if len(e.properties) > 0 {
		j.Key("properties")
		j.BeginObject()
		for _, p := range e.properties {
			j.Key(p.key)
			switch v := p.value.(type) {
			case string:
				j.String(v)
			case float64:
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return errors.New("property " + strconv.Quote(p.key) + " is not a finite number")
				}
				j.Float(v)
			case bool:
				j.String(strconv.FormatBool(v))
			default:
				return errors.New("property " + strconv.Quote(p.key) + " is neither a string, a number nor a boolean")
			}
		}
		j.EndObject()
	}
	j.Key("idempotency_key")
	j.String(e.id)
	j.EndObject()
	return nil
}

// forward sends events to Heap (upstream.send) within cfg.HeapDeadline after start.
func (f *forwarder) forward(ctx context.Context, start time.Time, events []valid) outcome {
	body, err := bulkBody(f.appID, events)
	if err != nil {
		return outcome{failure: "cannot encode the events: " + err.Error(), retryAfter: defaultPageRetryAfter}
	}
	return f.api.send(ctx, &budget{start: start}, body)
}

// upstream is an API the relay posts JSON to: Heap's track API, Userpilot's Bulk Identify.
type upstream struct {
	service  string      // its owner, for messages: "Heap"
	payload  string      // what a post carries, for messages: "the events"
	urlVar   string      // the variable that sets its base URL, for messages
	target   string      // the URL posted to
	header   http.Header // set on every post, besides Content-Type: application/json
	deadline time.Duration
	client   Sender
	now      func() time.Time
	sleep    func(time.Duration)
}

// budget is the time one incoming request has for all of its posts: deadline after start, counting
// both the clock and the relay's own sleeps, so a fake sleep with a fixed clock still ends.
type budget struct {
	start time.Time
	slept time.Duration
}

// elapsed is the time spent so far.
func (b *budget) elapsed(now time.Time) time.Duration { return max(now.Sub(b.start), b.slept) }

// send posts body, retrying 429, 5xx and transport errors with exponential backoff (or the API's
// Retry-After) until u.deadline after b.start. A redirect post does not follow is a failure at
// once: asking again would be redirected again.
func (u *upstream) send(ctx context.Context, b *budget, body []byte) outcome {
	backoff := firstBackoff
	for {
		a := u.post(ctx, body, u.deadline-b.elapsed(u.now()))
		switch {
		case a.redirect != "":
			return outcome{failure: a.redirect, retryAfter: defaultPageRetryAfter}
		case a.err == "" && a.status/100 == 2:
			return outcome{accepted: true}
		case a.err == "" && a.status/100 == 4 && a.status != http.StatusTooManyRequests:
			return outcome{rejected: a.status, detail: a.detail}
		}
		last := a.err
		if last == "" {
			last = "HTTP " + strconv.Itoa(a.status)
		}
		wait := backoff
		if a.wait > 0 {
			wait = a.wait
		}
		if ctx.Err() != nil || b.elapsed(u.now())+wait >= u.deadline {
			pageWait := defaultPageRetryAfter
			if a.wait > 0 {
				pageWait = a.wait
			}
			return outcome{failure: last, retryAfter: pageWait}
		}
		u.sleep(wait)
		b.slept += wait
		backoff *= 2
	}
}

// apiAnswer is how one post went.
type apiAnswer struct {
	status   int           // the API's status, when it answered
	wait     time.Duration // its Retry-After
	detail   string        // the start of its answer's body
	err      string        // a transport error, worth retrying
	redirect string        // a redirect not followed, and why
}

// post makes one request within remaining, following a 307 or 308 to the same host with the body;
// the client itself follows nothing (NewHandler sees to it).
func (u *upstream) post(ctx context.Context, body []byte, remaining time.Duration) apiAnswer {
	if remaining <= 0 {
		return apiAnswer{err: "no time left before the deadline"}
	}
	ctx, cancel := context.WithTimeout(ctx, remaining)
	defer cancel()
	target := u.target
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return apiAnswer{err: err.Error()}
		}
		for k, v := range u.header {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := u.client.Do(req)
		if err != nil {
			return apiAnswer{err: err.Error()}
		}
		start, _ := io.ReadAll(io.LimitReader(resp.Body, maxDetailBytes))
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes)) // lets the connection be reused
		resp.Body.Close()
		if resp.StatusCode/100 != 3 {
			return apiAnswer{status: resp.StatusCode, wait: retryAfterSeconds(resp.Header.Get("Retry-After")), detail: string(start)}
		}
		next, why := u.redirectTarget(req.URL, resp)
		if why == "" && hops == maxRedirects {
			why = "after " + strconv.Itoa(maxRedirects) + " redirects already; the relay follows no more redirects"
		}
		if why != "" {
			return apiAnswer{redirect: "HTTP " + strconv.Itoa(resp.StatusCode) + " " + why}
		}
		target = next
	}
}

// redirectTarget returns where a 3xx answer to a post to from may be followed, or why it may not:
// only a 307 or 308 keeps the POST and its body, and only to the host of the API's base URL.
func (u *upstream) redirectTarget(from *url.URL, resp *http.Response) (target, why string) {
	fix := "; set " + u.urlVar + " to the address " + u.service + "'s API answers at"
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", "without a Location, so " + u.payload + " did not reach " + u.service
	}
	to, err := from.Parse(loc)
	switch {
	case err != nil:
		return "", "to " + label(loc) + ", which does not parse" + fix
	case resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect:
		return "", "to " + label(to.Redacted()) + ": only a 307 or 308 keeps the POST and its body, so the relay follows no other redirect" + fix
	case !sameHost(from, to):
		return "", "to " + label(to.Redacted()) + ": the relay follows a redirect only to the same host" + fix
	}
	return to.String(), ""
}

// sameHost reports whether to is from's host and port, or from's host moved from http to https.
func sameHost(from, to *url.URL) bool {
	if to.User != nil || !strings.EqualFold(to.Hostname(), from.Hostname()) {
		return false
	}
	switch {
	case to.Scheme == from.Scheme:
		return portOf(to) == portOf(from)
	case from.Scheme == "http" && to.Scheme == "https":
		return from.Port() == "" && to.Port() == ""
	}
	return false
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// retryAfterSeconds reads a Retry-After header given in seconds; dates and junk give 0.
func retryAfterSeconds(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 || n > 24*60*60 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// seconds renders d as a Retry-After value: whole seconds, rounded up, at least 1.
func seconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprint(max(s, 1))
}
