//go:build js && wasm

package serve

import (
	"runtime/metrics"
	"syscall/js"
)

// counters are what a server counts; info is what the glue said about the instance.
type counters struct {
	requests   int // requests taken by this instance
	panics     int // handlers and WaitUntil work that panicked (answered 500 or dropped)
	failures   int // requests Go could not take (serve answered -1)
	portErrors int // port calls that threw
	info       js.Value
}

// Stats describe this Go instance, for a health answer.
type Stats struct {
	Generation   int `json:"generation"` // this isolate's instance number, from 1
	Requests     int `json:"requests"`   // requests this instance has taken
	InFlight     int `json:"inFlight"`   // of those, being served now
	Abandoned    int `json:"abandoned"`  // requests the glue forgot: the runtime stopped running their code
	Panics       int `json:"panics"`     // handlers or WaitUntil work that panicked
	Replacements struct {
		AfterRequests int `json:"afterRequests"` // instances replaced after ReplaceAfter.Requests
		AfterMemory   int `json:"afterMemory"`   // instances replaced at ReplaceAfter.MemoryBytes
		AfterFailure  int `json:"afterFailure"`  // instances that failed (exited or trapped)
	} `json:"replacements"`
	ReplaceAfter struct {
		Requests    int `json:"requests"`
		MemoryBytes int `json:"memoryBytes"`
	} `json:"replaceAfter"`
	Timers struct {
		HandedOver int `json:"handedOver"` // Go timeouts moved to another request when theirs ended
		Adopted    int `json:"adopted"`    // Go timeouts armed by the next request, none in flight
		Late       int `json:"late"`       // Go timeouts a keep-alive fired late: their timer was lost
	} `json:"timers"`
	MemoryBytes     int `json:"memoryBytes"`     // the instance's linear memory
	GoHeapLiveBytes int `json:"goHeapLiveBytes"` // live heap marked by the last garbage collection
	GoHeapGoalBytes int `json:"goHeapGoalBytes"` // heap size at which the next collection starts
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
