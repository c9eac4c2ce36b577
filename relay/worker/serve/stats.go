//go:build js && wasm

package serve

import (
	"runtime/metrics"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// counters are what a server counts; info is what the glue said about the instance.
type counters struct {
	requests   int // requests taken by this instance
	panics     int // handlers and WaitUntil work that panicked (answered 500 or dropped)
	failures   int // requests Go could not take (serve answered -1)
	portErrors int // port calls that threw
	info       js.Value
}

// Stats describe this Go instance, for a health answer (WriteJSON).
type Stats struct {
	Generation   int // this isolate's instance number, from 1
	Requests     int // requests this instance has taken
	InFlight     int // of those, being served now
	Abandoned    int // requests the glue forgot: the runtime stopped running their code
	Panics       int // handlers or WaitUntil work that panicked
	Replacements struct {
		AfterRequests int // instances replaced after ReplaceAfter.Requests
		AfterMemory   int // instances replaced at ReplaceAfter.MemoryBytes
		AfterFailure  int // instances that failed (exited or trapped)
	}
	ReplaceAfter struct {
		Requests    int
		MemoryBytes int
	}
	Timers struct {
		HandedOver int // Go timeouts moved to another request when theirs ended
		Adopted    int // Go timeouts armed by the next request, none in flight
		Late       int // Go timeouts a keep-alive fired late: their timer was lost
	}
	MemoryBytes     int // the instance's linear memory
	GoHeapLiveBytes int // live heap marked by the last garbage collection
	GoHeapGoalBytes int // heap size at which the next collection starts
}

// WriteJSON writes st as the health answer's "instance" object.
func (st Stats) WriteJSON(j *jsontext.Writer) {
	j.BeginObject()
	writeInts(j, []intMember{{"generation", st.Generation}, {"requests", st.Requests}, {"inFlight", st.InFlight},
		{"abandoned", st.Abandoned}, {"panics", st.Panics}})
	for _, group := range []struct {
		key     string
		members []intMember
	}{
		{"replacements", []intMember{{"afterRequests", st.Replacements.AfterRequests}, {"afterMemory", st.Replacements.AfterMemory},
			{"afterFailure", st.Replacements.AfterFailure}}},
		{"replaceAfter", []intMember{{"requests", st.ReplaceAfter.Requests}, {"memoryBytes", st.ReplaceAfter.MemoryBytes}}},
		{"timers", []intMember{{"handedOver", st.Timers.HandedOver}, {"adopted", st.Timers.Adopted}, {"late", st.Timers.Late}}},
	} {
		j.Key(group.key)
		j.BeginObject()
		writeInts(j, group.members)
		j.EndObject()
	}
	writeInts(j, []intMember{{"memoryBytes", st.MemoryBytes}, {"goHeapLiveBytes", st.GoHeapLiveBytes}, {"goHeapGoalBytes", st.GoHeapGoalBytes}})
	j.EndObject()
}

// intMember is one member of a JSON object whose value is a whole number.
type intMember struct {
	key   string
	value int
}

// writeInts writes members.
func writeInts(j *jsontext.Writer, members []intMember) {
	for _, m := range members {
		j.Key(m.key)
		j.Int(m.value)
	}
}

// ReadStats returns the instance's figures; zero Stats before Serve.
func ReadStats() Stats {
	var st Stats
	s := current
	if s == nil {
		return st
	}
	s.mu.Lock()
	st.Requests, st.InFlight, st.Panics = s.stats.requests, len(s.requests), s.stats.panics
	info := s.stats.info
	s.mu.Unlock()
	if info.Type() == js.TypeObject {
		st.Generation = intOf(info, "generation")
		st.Abandoned = intOf(info, "requestsAbandoned")
		st.Replacements.AfterRequests = intOf(info, "replacedAfterRequests")
		st.Replacements.AfterMemory = intOf(info, "replacedAfterMemory")
		st.Replacements.AfterFailure = intOf(info, "replacedAfterFailure")
		st.ReplaceAfter.Requests = intOf(info, "maxRequests")
		st.ReplaceAfter.MemoryBytes = intOf(info, "maxMemoryBytes")
		st.Timers.HandedOver = intOf(info, "timersHandedOver")
		st.Timers.Adopted = intOf(info, "timersAdopted")
		st.Timers.Late = intOf(info, "timersLate")
		if mem := info.Get("memoryBytes"); mem.Type() == js.TypeFunction {
			st.MemoryBytes = mem.Invoke().Int()
		}
	}
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(samples)
	st.GoHeapLiveBytes = int(samples[0].Value.Uint64())
	st.GoHeapGoalBytes = int(samples[1].Value.Uint64())
	return st
}

// intOf reads a number property, 0 when it is not one.
func intOf(v js.Value, name string) int {
	if p := v.Get(name); p.Type() == js.TypeNumber {
		return p.Int()
	}
	return 0
}
