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
	for _, f := range []struct {
		key   string
		value int
	}{{"generation", st.Generation}, {"requests", st.Requests}, {"inFlight", st.InFlight}, {"abandoned", st.Abandoned}, {"panics", st.Panics}} {
		j.Key(f.key)
		j.Int(f.value)
	}
	j.Key("replacements")
	j.BeginObject()
	j.Key("afterRequests")
	j.Int(st.Replacements.AfterRequests)
	j.Key("afterMemory")
	j.Int(st.Replacements.AfterMemory)
	j.Key("afterFailure")
	j.Int(st.Replacements.AfterFailure)
	j.EndObject()
	j.Key("replaceAfter")
	j.BeginObject()
	j.Key("requests")
	j.Int(st.ReplaceAfter.Requests)
	j.Key("memoryBytes")
	j.Int(st.ReplaceAfter.MemoryBytes)
	j.EndObject()
	j.Key("timers")
	j.BeginObject()
	j.Key("handedOver")
	j.Int(st.Timers.HandedOver)
	j.Key("adopted")
	j.Int(st.Timers.Adopted)
	j.Key("late")
	j.Int(st.Timers.Late)
	j.EndObject()
	for _, f := range []struct {
		key   string
		value int
	}{{"memoryBytes", st.MemoryBytes}, {"goHeapLiveBytes", st.GoHeapLiveBytes}, {"goHeapGoalBytes", st.GoHeapGoalBytes}} {
		j.Key(f.key)
		j.Int(f.value)
	}
	j.EndObject()
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
