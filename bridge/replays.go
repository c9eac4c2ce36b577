package bridge

import "math"

// Heap's snippets queue the calls made on them, and Heap's SDK makes them again when it loads:
// those repeats are not the page's calls, so they are not mirrored to Userpilot a second time.
// The loader tells calls made on a stub (InputStubCall, InputOwnStubCall) from calls made on the
// SDK (InputHeapCall) and says when the SDK loaded (InputHeapLoaded); what a repeat is, and for
// how long one is expected, is decided here.

// ReplayWindowMS is how long after Heap's SDK loaded a call on it may be its repeat of a call
// made on the stub; later, the records of stub calls are forgotten.
const ReplayWindowMS = 10000

// MaxReplays bounds the stub calls remembered.
const MaxReplays = 1000

// replays are the calls made on a stub that the SDK has not yet made again.
type replays struct {
	calls   []Input
	expires float64 // 0 until the SDK loaded
}

// sameCall tells whether two calls are the same as the page made them: the same method, the same
// object (by the loader's reference), and the same other arguments by value.
func sameCall(a, b Input) bool {
	if a.Name != b.Name || a.Ref != b.Ref {
		return false
	}
	for i := 0; i < 2; i++ {
		x, y := arg(a.Args, i), arg(b.Args, i)
		if x.Kind != y.Kind {
			return false
		}
		switch x.Kind {
		case KindObject, KindArray, KindFunction: // told by Ref
		default:
			if x.Str != y.Str || math.Float64bits(x.Num) != math.Float64bits(y.Num) || x.Bool != y.Bool {
				return false
			}
		}
	}
	return true
}

// record remembers a call made on a stub.
func (r *replays) record(in Input) {
	if len(r.calls) < MaxReplays {
		r.calls = append(r.calls, in)
	}
}

// loaded notes when Heap's SDK loaded: the window for its repeats starts then, once.
func (r *replays) loaded(at float64) {
	if r.expires == 0 {
		r.expires = at + ReplayWindowMS
	}
}

// isReplay reports whether a call made on the SDK is its repeat of a recorded stub call, and
// forgets that record.
func (r *replays) isReplay(in Input) bool {
	if r.expires != 0 && in.At > r.expires {
		r.calls = nil
	}
	for i, c := range r.calls {
		if sameCall(c, in) {
			r.calls = append(r.calls[:i], r.calls[i+1:]...)
			return true
		}
	}
	return false
}
