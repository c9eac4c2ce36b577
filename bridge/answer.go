package bridge

import "sort"

// An answer to the loader is one JSON object, so the loader reads it with one JSON.parse:
//
//	{"c": [[seq, "track", name, {properties}, event id, the loader's event number] | [seq, "identify", id] |
//	       [seq, "resetIdentity"] | [seq, "addUserProperties", {properties}], ...],
//	 "r": [[batch id, url, body, signature, keepalive], ...],     requests for the relay
//	 "b": [[url, body, signature, [event id...]], ...],            standby beacons, when changed
//	 "m": [[level, text], ...],                                    console messages
//	 "u": [["track", user id, name, {properties}] | ["identify", user id, user id, {properties}], ...],
//	      calls to make on window.userpilot (toUserpilot), after the Heap calls, each only if
//	      Userpilot's user is still the user id after the method (docs/identity.md)
//	 "h": [seq...],  calls the page gave back that still wait here
//	 "s": {stats}, "z": {stats as if the calls not yet confirmed by an ack were not made}, when any counts,
//	 "w": wake at (page ms, 0 for none), "p": 1 to poll window.heap, "n": HeapState needed,
//	 "k": whether the page may write its pending events to storage when hidden (docs/contract.md §9),
//	 "o": [event number...], when changed: the loader's events held here that the page stores if it
//	      is hidden (Bridge.Kept); absent, the last list holds}
//
// Calls are made in order on whatever window.heap is when the answer arrives. A page that gave a
// call back makes no later call until that call comes again, or an answer written after the module
// heard of it no longer lists it in "h" (it went to the relay, say).

// answerWriter builds one answer's JSON text.
type answerWriter struct {
	calls, relays, beacons, messages, userpilot []byte
	hasStandby                                  bool
}

func (a *answerWriter) userpilotCall(c UserpilotCall) {
	b := openItem(a.userpilot)
	b = AppendJSONString(b, c.Method)
	b = append(b, ',')
	b = AppendJSONString(b, c.User) // the user the call is bound to: the page sends it only to them
	b = append(b, ',')
	if c.Method == "track" {
		b = AppendJSONString(b, c.Name)
	} else {
		b = AppendJSONString(b, c.User)
	}
	b = append(b, ',')
	b = appendProperties(b, c.Properties)
	a.userpilot = append(b, ']')
}

func (a *answerWriter) call(c Call) {
	b := openItem(a.calls)
	b = appendInt(b, c.Seq)
	b = append(b, ',')
	b = AppendJSONString(b, c.Method)
	switch c.Method {
	case MethodTrack:
		b = append(b, ',')
		b = AppendJSONString(b, c.Event)
		b = append(b, ',')
		b = appendProperties(b, c.Properties)
		b = append(b, ',')
		b = AppendJSONString(b, c.ID)
		b = append(b, ',')
		b = appendInt(b, c.Src)
	case MethodIdentify:
		b = append(b, ',')
		b = AppendJSONString(b, c.Identity)
	case MethodAddUserProperties:
		b = append(b, ',')
		b = appendProperties(b, c.Properties)
	}
	a.calls = append(b, ']')
}

func (a *answerWriter) relay(rb RelayBatch) {
	b := openItem(a.relays)
	b = appendInt(b, rb.ID)
	b = append(b, ',')
	b = AppendJSONString(b, rb.URL)
	b = append(b, ',')
	b = AppendJSONString(b, rb.Body)
	b = append(b, ',')
	b = AppendJSONString(b, rb.Signature)
	b = append(b, ',')
	b = appendBool(b, rb.Keepalive)
	a.relays = append(b, ']')
}

func (a *answerWriter) standby(batches []RelayBatch) {
	a.hasStandby = true
	for _, rb := range batches {
		b := openItem(a.beacons)
		b = AppendJSONString(b, rb.URL)
		b = append(b, ',')
		b = AppendJSONString(b, rb.Body)
		b = append(b, ',')
		b = AppendJSONString(b, rb.Signature)
		b = append(b, ",["...)
		for i, id := range rb.IDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, id)
		}
		a.beacons = append(b, "]]"...)
	}
}

func (a *answerWriter) message(m Message) {
	b := openItem(a.messages)
	b = AppendJSONString(b, m.Level)
	b = append(b, ',')
	b = AppendJSONString(b, "userpilot-heap-bridge: "+m.Text)
	a.messages = append(b, ']')
}

// finish returns the whole answer.
func (a *answerWriter) finish(s Stats, unmade *Stats, up, upUnmade *ToUserpilotStats, held []int, wake float64, poll bool, need int, persist bool, kept []int) string {
	b := make([]byte, 0, 256+len(a.calls)+len(a.relays)+len(a.beacons)+len(a.messages))
	b = append(b, `{"c":[`...)
	b = append(b, a.calls...)
	b = append(b, `],"r":[`...)
	b = append(b, a.relays...)
	b = append(b, ']')
	if a.hasStandby {
		b = append(b, `,"b":[`...)
		b = append(b, a.beacons...)
		b = append(b, ']')
	}
	b = append(b, `,"m":[`...)
	b = append(b, a.messages...)
	b = append(b, `],"u":[`...)
	b = append(b, a.userpilot...)
	b = append(b, `],"h":[`...)
	for i, seq := range held {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendInt(b, seq)
	}
	b = append(b, `],"s":`...)
	b = appendStats(b, s, up)
	if unmade != nil {
		b = append(b, `,"z":`...)
		b = appendStats(b, *unmade, upUnmade)
	}
	b = append(b, `,"w":`...)
	b = append(b, JSNumberString(wake)...)
	b = append(b, `,"p":`...)
	b = appendBool(b, poll)
	b = append(b, `,"n":`...)
	b = appendInt(b, need)
	b = append(b, `,"k":`...)
	b = appendBool(b, persist)
	if kept != nil {
		b = append(b, `,"o":[`...)
		for i, n := range kept {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, n)
		}
		b = append(b, ']')
	}
	return string(append(b, '}'))
}

// openItem starts the next element of a list whose elements are arrays.
func openItem(b []byte) []byte {
	if len(b) > 0 {
		b = append(b, ',')
	}
	return append(b, '[')
}

func appendInt(b []byte, n int) []byte { return append(b, itoa(n)...) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendProperties writes properties as a JSON object, keys in order.
func appendProperties(b []byte, props []Property) []byte {
	b = append(b, '{')
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, p.Key)
		b = append(b, ':')
		b = appendJSONValue(b, p.Value)
	}
	return append(b, '}')
}

// appendStats writes the counters in a fixed order (protocol.go), each map's keys sorted, so a
// page that prints stats() reads them the same way every time.
func appendStats(b []byte, s Stats, up *ToUserpilotStats) []byte {
	b = appendCounters(b, StatsCounters, s.counters(), StatsCounts, s.counts())
	if up != nil {
		b = append(b[:len(b)-1], `,"toUserpilot":`...)
		b = appendCounters(b, ToUserpilotCounters, up.counters(), ToUserpilotCounts, up.counts())
		b = append(b, '}')
	}
	return b
}

// appendCounters writes one JSON object: each counter, then each count by name.
func appendCounters(b []byte, names []string, values []int, countNames []string, counts []map[string]int) []byte {
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMember(b, name)
		b = appendInt(b, values[i])
	}
	for i, name := range countNames {
		b = append(b, ',')
		b = appendMember(b, name)
		b = appendCounts(b, counts[i])
	}
	return append(b, '}')
}

// appendMember writes a member's name and its colon.
func appendMember(b []byte, name string) []byte {
	return append(AppendJSONString(b, name), ':')
}

// appendCounts writes counts as a JSON object, keys sorted.
func appendCounts(b []byte, counts map[string]int) []byte {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, k)
		b = append(b, ':')
		b = appendInt(b, counts[k])
	}
	return append(b, '}')
}
