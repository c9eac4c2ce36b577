package relay

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandlerBatchOf10 serves the batch make bench-relay sends (10 events, one identity) natively,
// without the Worker's glue; the in-process fake Heap's decoding is included (pprof -ignore fakeheap).
func BenchmarkHandlerBatchOf10(b *testing.B) {
	rg := newRig(b, func(c *Config) { c.ClientPerMinute, c.IdentityEventsPerMinute = 1<<30, 1<<30 })
	bodies := make([]string, 64)
	seq := 0
	for i := range bodies {
		var sb strings.Builder
		sb.WriteString(`{"events":[`)
		for j := 0; j < 10; j++ {
			seq++
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"id":"bench-1-%d","name":"Userpilot Flow (started)","properties":{"flow_id":%d,"flow_token":"tok%d","userpilot.step":"intro","locale":"en-US","completed":%t},"identity":"user-%d@example.com","timestamp":"2025-06-01T11:59:00.000Z"}`,
				seq, 1000+seq%50, seq%50, j%3 == 0, i%97)
		}
		sb.WriteString(`]}`)
		bodies[i] = sb.String()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", testOrigin)
		w := httptest.NewRecorder()
		rg.h.ServeHTTP(w, req)
		if w.Code != 200 || strings.Contains(w.Body.String(), `"code"`) {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		rg.sent = rg.sent[:0]
	}
}
