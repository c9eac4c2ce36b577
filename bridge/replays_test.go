package bridge

import (
	"strings"
	"testing"
)

// TestReplaysOfStubCalls tests that Heap's SDK making a stub's calls again is not mirrored a second
// time, while the page's own later calls are, and that the records go ReplayWindowMS after the SDK loaded.
func TestReplaysOfStubCalls(t *testing.T) {
	call := func(kind, method string, ref int, at float64, args ...Value) Input {
		return Input{Kind: kind, Name: method, Ref: ref, At: at, Args: args}
	}
	for _, tc := range []struct {
		name   string
		inputs []Input
		want   int // tracks sent to Userpilot
	}{
		{"the SDK's repeat of a stub call", []Input{
			call(InputStubCall, "track", 3, 10, Str("Plan paid"), Obj("plan", Str("pro"))),
			call(InputHeapLoaded, "", 0, 20),
			call(InputHeapCall, "track", 3, 30, Str("Plan paid"), Obj("plan", Str("pro"))),
		}, 1},
		{"the same name with another properties object is the page's", []Input{
			call(InputStubCall, "track", 3, 10, Str("Plan paid"), Obj("plan", Str("pro"))),
			call(InputHeapLoaded, "", 0, 20),
			call(InputHeapCall, "track", 4, 30, Str("Plan paid"), Obj("plan", Str("pro"))),
		}, 2},
		{"each record stands for one repeat", []Input{
			call(InputStubCall, "track", 0, 10, Str("Plan paid")),
			call(InputHeapLoaded, "", 0, 20),
			call(InputHeapCall, "track", 0, 30, Str("Plan paid")),
			call(InputHeapCall, "track", 0, 40, Str("Plan paid")),
		}, 2},
		{"a record outlives the window only until the SDK loaded plus 10 s", []Input{
			call(InputStubCall, "track", 0, 10, Str("Plan paid")),
			call(InputHeapLoaded, "", 0, 20),
			call(InputHeapCall, "track", 0, 20+ReplayWindowMS+1, Str("Plan paid")),
		}, 2},
		{"before the SDK said it loaded, records do not expire", []Input{
			call(InputStubCall, "track", 0, 10, Str("Plan paid")),
			call(InputHeapCall, "track", 0, 10+5*ReplayWindowMS, Str("Plan paid")),
		}, 1},
		{"the bridge's own stub call is recorded, not mirrored, and its repeat is not mirrored", []Input{
			call(InputOwnStubCall, "track", 0, 10, Str("Plan paid")),
			call(InputHeapLoaded, "", 0, 20),
			call(InputHeapCall, "track", 0, 30, Str("Plan paid")),
		}, 0},
		{"another name is another call", []Input{
			call(InputStubCall, "track", 0, 10, Str("Plan paid")),
			call(InputHeapLoaded, "", 0, 20),
			call(InputHeapCall, "track", 0, 30, Str("Plan kept")),
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mirrorBridge(t, mirrorAll)
			b.Receive(identify(Str("alice")))
			for _, in := range tc.inputs {
				b.Receive(in)
			}
			if got := strings.Count(upCalls(b), "track "); got != tc.want {
				t.Fatalf("%d tracks sent to Userpilot, want %d: %s", got, tc.want, upCalls(b))
			}
		})
	}
}
