package relay

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The client limits of §6 (docs/contract.md), counted by the shard a request's events go to, so
// that they hold across isolates at no extra Durable Object call: an identity's events always go
// to its shard, so RATE_IDENTITY_EVENTS_PER_MINUTE is counted in one place; a request's client
// address is counted in the shard of its first identity, which for a page (one identity per
// request) is always the same one. The buckets are limit.go's token buckets, in the shard's memory.

// RequestLimits are the client limits a shard applies to the requests offered to it.
type RequestLimits struct {
	ClientPerMinute   int // RATE_CLIENT_PER_MINUTE: requests per client address
	IdentityPerMinute int // RATE_IDENTITY_EVENTS_PER_MINUTE: events per identity
}

// Limited is a shard's refusal of a request over a client limit: nothing of it was taken.
type Limited struct {
	Wait time.Duration // until the tokens would be there
	Why  string        // the limit, for the 429's text
}

func (l *Limited) Error() string { return l.Why }

// admit takes one token for client (unless it is "") and one per event from each identity's
// bucket, all or none. It returns nil when they were taken.
func (s *Shard) admit(now int64, client string, events []Queued) *Limited {
	wants := make([]Want, 0, 2)
	if client != "" {
		wants = append(wants, Want{Key: "client:" + client, N: 1, PerMinute: s.limits.Requests.ClientPerMinute})
	}
	index := map[string]int{}
	for _, e := range events {
		i, seen := index[e.Identity]
		if !seen {
			i = len(wants)
			index[e.Identity] = i
			wants = append(wants, Want{Key: "identity:" + e.Identity, PerMinute: s.limits.Requests.IdentityPerMinute})
		}
		wants[i].N++
	}
	t := take(s.buckets, now, wants)
	if t.OK {
		return nil
	}
	w := wants[t.Blocked]
	var why string
	if strings.HasPrefix(w.Key, "client:") {
		why = clientLimitText(s.limits.Requests.ClientPerMinute)
	} else {
		why = fmt.Sprintf("identity rate limit: more than %d events per minute for identity %s", s.limits.Requests.IdentityPerMinute, label(w.Key[len("identity:"):]))
		if w.N > float64(s.limits.Requests.IdentityPerMinute) {
			why += "; this batch alone has " + strconv.Itoa(int(w.N)) + " events for it, send smaller batches"
		}
	}
	return &Limited{Wait: t.Wait, Why: limitText(t, why)}
}

// clientLimitText names the client limit.
func clientLimitText(perMinute int) string {
	return fmt.Sprintf("client rate limit: more than %d requests per minute from this address", perMinute)
}
