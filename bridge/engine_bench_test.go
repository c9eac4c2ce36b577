package bridge

import (
	"strconv"
	"testing"
)

// burstMessage is a message of n distinct "started" events shaped like Userpilot's, as the loader writes it.
func burstMessage(n, base, ack int) string {
	b := []byte(`[1,` + strconv.Itoa(n) + `,` + strconv.Itoa(ack) + `,1,31,[],[],[]`)
	for i := 0; i < n; i++ {
		k := strconv.Itoa(base + i)
		b = append(b, `,["event","started",0,`+k+`,`+k+`,["o",0,"id",`+k+`,"token","tok_`+k+`"]]`...)
	}
	return string(append(b, ']'))
}

// BenchmarkEngineStep measures the module's own work per event, natively: read a message of 100
// events, normalise, dedupe, write the answer.
func BenchmarkEngineStep(b *testing.B) {
	e := NewEngine(`[null,"s",0,0]`)
	e.Step(`[1,0,0,0,31,[],[],[],["identify","",0,0,0,"bench-user-1"]]`)
	msgs := make([]string, b.N)
	for i := range msgs {
		msgs[i] = burstMessage(100, i*100+1000, i+1) // the page has applied every earlier answer
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Step(msgs[i])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100)/1000, "µs/event")
}
