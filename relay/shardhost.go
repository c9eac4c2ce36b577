package relay

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// ShardHost runs shards for whatever holds them: a Durable Object's glue (relay/worker) or
// localQueue. Each step returns what to do next, so the holder only does the I/O: send an
// attempt's body to Heap and hand back the reply, answer the Worker, set an alarm. It is not safe
// for concurrent use.
type ShardHost struct {
	cfg     Config
	limits  ShardLimits
	log     func(line []byte)
	pending map[int]pendingAttempt
	next    int
}

type pendingAttempt struct {
	shard *Shard
	a     *Attempt
	at    int64
	url   string
	body  string
	hops  int
}

// Step is what the holder does next.
type Step struct {
	Attempt int    `js:"attempt"` // > 0: post Body to URL, then call Settle with this id
	URL     string `js:"url"`
	Body    string `js:"body"`
	Auth    string `js:"auth"`   // the Authorization header of the post, when it has one
	Answer  string `js:"answer"` // the answer to the Worker's offer, once there is one
	Alarm   int64  `js:"alarm"`  // > 0: run Due at this unix ms
}

// NewShardHost returns a host for cfg (after ConfigFromEnv); log receives one JSON line per
// delivery attempt (nil: none).
func NewShardHost(cfg Config, log func([]byte)) *ShardHost {
	cfg = withDefaults(cfg)
	if log == nil {
		log = func([]byte) {}
	}
	return &ShardHost{cfg: cfg, limits: limitsFor(cfg), log: log, pending: map[int]pendingAttempt{}}
}

// Open returns the shard over store.
func (h *ShardHost) Open(name string, store ShardStore) *Shard {
	return OpenShard(name, store, h.limits)
}

// Offer takes a request's client address and events in their wire form (EncodeOffer). Over a
// client limit it takes nothing and answers how long to wait.
func (h *ShardHost) Offer(s *Shard, now int64, wire []byte) Step {
	client, events, err := DecodeOffer(wire)
	if err != nil {
		return Step{Answer: offerAnswer{err: "the shard could not read the events: " + err.Error()}.json()}
	}
	if l := s.admit(now, client, events); l != nil {
		return Step{Answer: offerAnswer{limitedMs: max(1, int(l.Wait.Milliseconds())), detail: l.Why}.json()}
	}
	if a := s.Offer(now, events); a != nil {
		return h.attempt(s, a, now)
	}
	return Step{Answer: offerAnswer{queued: len(events)}.json(), Alarm: now}
}

// Due starts the next delivery of stored events, or says when to look again.
func (h *ShardHost) Due(s *Shard, now int64) Step {
	a, next := s.Due(now)
	if a == nil {
		return Step{Alarm: next}
	}
	return h.attempt(s, a, now)
}

func (h *ShardHost) attempt(s *Shard, a *Attempt, now int64) Step {
	h.next++
	p := pendingAttempt{shard: s, a: a, at: now, url: h.cfg.HeapAPIURL + "/api/track", body: string(a.Body(h.cfg.AppID))}
	h.pending[h.next] = p
	return Step{Attempt: h.next, URL: p.url, Body: p.body}
}

// redirect returns where a 3xx reply to p may be followed (a 307 or 308 to the same host, with
// the body, as upstream.post does natively), or why not.
func (h *ShardHost) redirect(p pendingAttempt, r Reply) (string, string) {
	from, err := url.Parse(p.url)
	if err != nil {
		return "", err.Error()
	}
	api := upstream{service: "Heap", payload: "the events", urlVar: "HEAP_API_URL"}
	to, why := api.redirectTarget(from, &http.Response{StatusCode: r.Status, Header: http.Header{"Location": {r.Location}}})
	if why == "" && p.hops == maxRedirects {
		why = "after " + strconv.Itoa(maxRedirects) + " redirects already; the relay follows no more redirects"
	}
	return to, why
}

// Settle takes Heap's reply to attempt id. For a request's own events it gives the answer to the
// Worker; for stored ones it asks for Due again at once (Alarm now), or later.
func (h *ShardHost) Settle(id int, now int64, r Reply) Step {
	p, ok := h.pending[id]
	if !ok {
		return Step{Answer: offerAnswer{err: "the shard lost track of the delivery (its Go instance was replaced)"}.json()}
	}
	if r.Status/100 == 3 {
		to, why := h.redirect(p, r)
		if why == "" {
			p.hops++
			p.url = to
			h.pending[id] = p
			return Step{Attempt: id, URL: to, Body: p.body}
		}
		r = Reply{Cause: "HTTP " + strconv.Itoa(r.Status) + " " + why}
	}
	delete(h.pending, id)
	out := p.shard.Settle(now, p.a, r)
	h.logAttempt(p, now, r, out)
	if !p.a.Direct {
		return Step{Alarm: now}
	}
	switch out {
	case SettleDelivered:
		return Step{Answer: offerAnswer{delivered: len(p.a.Events)}.json()}
	case SettleRejected:
		return Step{Answer: offerAnswer{rejected: r.Status, detail: r.Cause}.json()}
	}
	_, _, next := p.shard.store.Stats()
	return Step{Answer: offerAnswer{queued: len(p.a.Events)}.json(), Alarm: next}
}

// logAttempt writes one JSON line for a delivery attempt.
func (h *ShardHost) logAttempt(p pendingAttempt, now int64, r Reply, out SettleOutcome) {
	j := jsontext.NewWriter(256)
	j.BeginObject()
	j.Key("what")
	j.String("heap delivery")
	j.Key("shard")
	j.String(p.shard.Name)
	j.Key("events")
	j.Int(len(p.a.Events))
	j.Key("direct")
	j.Bool(p.a.Direct)
	j.Key("status")
	j.Int(r.Status)
	j.Key("outcome")
	j.String([...]string{"delivered", "rejected", "queued"}[out])
	j.Key("ms")
	j.Int(int(now - p.at))
	if out != SettleDelivered {
		j.Key("cause")
		j.String(r.Cause)
	}
	j.EndObject()
	h.log(j.Bytes())
}

// Health is the shard's figures as JSON.
func (h *ShardHost) Health(s *Shard, now int64) string {
	return string(s.Health(now).json())
}

// offerAnswer is a shard's answer to an offer.
type offerAnswer struct {
	delivered, queued, rejected int
	limitedMs                   int // > 0: over a client limit, nothing taken; wait this long
	detail, err                 string
}

func (o offerAnswer) json() string {
	j := jsontext.NewWriter(64)
	j.BeginObject()
	j.Key("delivered")
	j.Int(o.delivered)
	j.Key("queued")
	j.Int(o.queued)
	j.Key("rejected")
	j.Int(o.rejected)
	j.Key("limitedMs")
	j.Int(o.limitedMs)
	j.Key("detail")
	j.String(o.detail)
	j.Key("error")
	j.String(o.err)
	j.EndObject()
	return string(j.Bytes())
}

// readOfferAnswer reads a shard's answer.
func readOfferAnswer(text []byte) (o offerAnswer, err error) {
	r := jsontext.NewReader(text)
	err = r.Object(func(key string) error {
		var e error
		var n jsontext.Num
		switch key {
		case "delivered", "queued", "rejected", "limitedMs":
			if n, e = r.Number(); e == nil {
				v, _ := strconv.Atoi(string(n))
				switch key {
				case "delivered":
					o.delivered = v
				case "queued":
					o.queued = v
				case "limitedMs":
					o.limitedMs = v
				default:
					o.rejected = v
				}
			}
		case "detail":
			o.detail, e = r.String()
		case "error":
			o.err, e = r.String()
		default:
			e = r.Skip()
		}
		return e
	})
	if err == nil {
		err = r.End()
	}
	return o, err
}

// json writes a shard's health.
func (sh ShardHealth) json() []byte {
	j := jsontext.NewWriter(256)
	sh.write(j)
	return j.Bytes()
}

func (sh ShardHealth) write(j *jsontext.Writer) {
	j.BeginObject()
	j.Key("queued")
	j.Int(sh.Queued)
	j.Key("oldestAgeMs")
	j.Int(int(sh.OldestAgeMs))
	j.Key("delivered")
	j.Int(sh.Delivered)
	j.Key("retried")
	j.Int(sh.Retried)
	j.Key("refused")
	j.BeginObject()
	for _, k := range sortedKeys(sh.Refused) {
		j.Key(k)
		j.Int(sh.Refused[k])
	}
	j.EndObject()
	j.Key("lastHeapError")
	writeLastError(j, sh.LastHeapError)
	j.EndObject()
}

func writeLastError(j *jsontext.Writer, e *LastError) {
	if e == nil {
		j.Null()
		return
	}
	j.BeginObject()
	j.Key("cause")
	j.String(e.Cause)
	j.Key("at")
	j.String(e.At)
	j.EndObject()
}

// readShardHealth reads what ShardHealth.json wrote.
func readShardHealth(text []byte) (sh ShardHealth, err error) {
	sh.Refused = map[string]int{}
	r := jsontext.NewReader(text)
	num := func() (int, error) {
		n, e := r.Number()
		if e != nil {
			return 0, e
		}
		v, e := strconv.ParseInt(string(n), 10, 64)
		return int(v), e
	}
	err = r.Object(func(key string) error {
		var e error
		switch key {
		case "queued":
			sh.Queued, e = num()
		case "oldestAgeMs":
			var v int
			v, e = num()
			sh.OldestAgeMs = int64(v)
		case "delivered":
			sh.Delivered, e = num()
		case "retried":
			sh.Retried, e = num()
		case "refused":
			e = r.Object(func(code string) error {
				v, e := num()
				sh.Refused[code] = v
				return e
			})
		case "lastHeapError":
			if r.Null() {
				return nil
			}
			sh.LastHeapError, e = readLastError(r)
		default:
			e = r.Skip()
		}
		return e
	})
	return sh, err
}

// EncodeQueued writes events for a shard: per event three length-prefixed fields, id, identity
// and Heap's object ("<len>:<bytes>"), so nothing is parsed twice.
func EncodeQueued(events []Queued) []byte {
	return appendQueued(make([]byte, 0, queuedSize(events)), events)
}

func queuedSize(events []Queued) int {
	n := 0
	for _, e := range events {
		n += len(e.ID) + len(e.Identity) + len(e.Body) + 24
	}
	return n
}

func appendQueued(b []byte, events []Queued) []byte {
	for _, e := range events {
		for _, f := range [...]string{e.ID, e.Identity, e.Body} {
			b = appendField(b, f)
		}
	}
	return b
}

// EncodeOffer writes a request's offer to a shard: the client address to count ("" for none),
// then EncodeQueued(events).
func EncodeOffer(client string, events []Queued) []byte {
	return appendQueued(appendField(make([]byte, 0, 8+len(client)+queuedSize(events)), client), events)
}

// DecodeOffer reads what EncodeOffer wrote.
func DecodeOffer(b []byte) (client string, events []Queued, err error) {
	r := fieldReader{rest: string(b)}
	if client, err = r.next(); err != nil {
		return "", nil, err
	}
	events, err = decodeQueued(r.rest)
	return client, events, err
}

// DecodeQueued reads what EncodeQueued wrote.
func DecodeQueued(b []byte) ([]Queued, error) { return decodeQueued(string(b)) }

func decodeQueued(b string) ([]Queued, error) {
	var out []Queued
	r := fieldReader{rest: b}
	field := r.next
	for r.rest != "" {
		var e Queued
		var err error
		if e.ID, err = field(); err == nil {
			if e.Identity, err = field(); err == nil {
				e.Body, err = field()
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("no events")
	}
	return out, nil
}

// since is the unix ms of t.
func since(t time.Time) int64 { return t.UnixMilli() }
