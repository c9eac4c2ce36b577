package bridge

import "strconv"

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
	keys    []string
	expires float64 // 0 until the SDK loaded
}

// replayKey tells one call from another as the page made it: its method, the object it carried
// (by the loader's reference), and its other arguments by value.
func replayKey(in Input) string {
	b := append([]byte(in.Name), 0)
	b = appendInt(b, in.Ref)
	for i := 0; i < 2; i++ {
		b = append(b, 0)
		switch v := arg(in.Args, i); v.Kind {
		case KindObject, KindArray, KindFunction:
			b = append(b, 'o') // told by Ref
		default:
			b = append(b, v.Kind...)
			b = appendInt(b, len(v.Str))
			b = append(b, ':')
			b = append(b, v.Str...)
			b = append(b, JSNumberString(v.Num)...)
			b = strconv.AppendBool(b, v.Bool)
		}
	}
	return string(b)
}

// record remembers a call made on a stub.
func (r *replays) record(in Input) {
	if len(r.keys) < MaxReplays {
		r.keys = append(r.keys, replayKey(in))
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
		r.keys = nil
	}
	key := replayKey(in)
	for i, k := range r.keys {
		if k == key {
			r.keys = append(r.keys[:i], r.keys[i+1:]...)
			return true
		}
	}
	return false
}
