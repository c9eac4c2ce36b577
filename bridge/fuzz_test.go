package bridge

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// decoder turns fuzz bytes into values and inputs deterministically.
type decoder struct{ b []byte }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) string() string {
	n := int(d.byte())
	if n > len(d.b) {
		n = len(d.b)
	}
	s := string(d.b[:n]) // may be invalid UTF-8, as a lone surrogate becomes in Go
	d.b = d.b[n:]
	if rep := int(d.byte() % 8); rep > 1 {
		s = strings.Repeat(s, rep*rep*20) // reach past Heap's limits
	}
	return s
}

var fuzzKeys = []string{"id", "token", "step", "totalSteps", "__proto__", "constructor", "prototype", "", "userpilot_user_id", "a.b"}

func (d *decoder) value(depth int) Value {
	switch k := d.byte() % 16; k {
	case 0:
		return Undefined()
	case 1:
		return Value{Kind: KindNull}
	case 2:
		return Bool(d.byte()%2 == 0)
	case 3:
		specials := []float64{0, -1, 1, 7, math.NaN(), math.Inf(1), math.Inf(-1), 1e21, 5e-324, 1.5}
		return Num(specials[int(d.byte())%len(specials)])
	case 4, 5:
		return Str(d.string())
	case 6, 7:
		if depth > 6 {
			return Value{Kind: KindTooDeep}
		}
		v := Value{Kind: KindObject}
		for n := int(d.byte() % 12); n > 0 && len(d.b) > 0; n-- {
			key := fuzzKeys[int(d.byte())%len(fuzzKeys)]
			if d.byte()%2 == 0 {
				key = d.string()
			}
			v.Keys = append(v.Keys, key)
			v.Items = append(v.Items, d.value(depth+1))
		}
		return v
	case 8:
		if depth > 6 {
			return Value{Kind: KindTooDeep}
		}
		v := Value{Kind: KindArray, Omitted: int(d.byte() % 3)}
		for n := int(d.byte() % 8); n > 0 && len(d.b) > 0; n-- {
			v.Items = append(v.Items, d.value(depth+1))
		}
		return v
	case 9:
		return Value{Kind: KindDate, Str: "2026-11-28T14:00:00.000Z"}
	case 10:
		return Value{Kind: KindCycle}
	case 11:
		return Value{Kind: KindUnreadable, Str: d.string()}
	case 12:
		return Value{Kind: KindFunction}
	case 13:
		return Value{Kind: KindBigInt, Str: "12345678901234567890"}
	case 14:
		return Value{Kind: Kind(d.string())} // a kind the loader never sends
	}
	return Value{Kind: KindSymbol}
}

var fuzzNames = []string{"started", "step", "completed", "dismissed", "unknown", ""}
var fuzzKinds = []string{InputEvent, InputEvent, InputInterface, InputInterface, InputIdentify, InputRestore, InputAnonymous, InputClean, InputConsent, InputSettings, "bogus"}

var fuzzConsent = []string{"granted", "pending", "denied", "maybe"}

var fuzzMethods = []string{"track", "track", "track", "identify", "resetIdentity", "addUserProperties", "addEventProperties", ""}

var fuzzTrackNames = []string{"Userpilot Experience (started)", "Userpilot Experience (step)", "Userpilot Checklist (task completed)",
	"Userpilot NPS (score)", "Userpilot NPS (feedback)", "Form Submissions", "Userpilot Survey (submitted)", "Userpilot Thing (done)"}

func (d *decoder) input() Input {
	in := Input{Kind: fuzzKinds[int(d.byte())%len(fuzzKinds)], Name: fuzzNames[int(d.byte())%len(fuzzNames)], Ref: int(d.byte() % 4), Task: int(d.byte() % 4), At: float64(d.byte()) * 50}
	if in.Kind == InputConsent {
		in.Name = fuzzConsent[int(d.byte())%len(fuzzConsent)]
	}
	if in.Kind == InputInterface {
		in.Name = fuzzMethods[int(d.byte())%len(fuzzMethods)]
		if in.Name == "track" && d.byte()%4 != 0 {
			in.Args = append(in.Args, Str(fuzzTrackNames[int(d.byte())%len(fuzzTrackNames)]))
		}
	}
	for n := int(d.byte() % 3); n > 0; n-- {
		in.Args = append(in.Args, d.value(0))
	}
	return in
}

// checkCall fails the test for any call that breaks Heap's web limits or the identity guard.
func checkCall(t *testing.T, c Call) {
	t.Helper()
	switch c.Method {
	case MethodTrack:
		if c.Event == "" || UTF16Len(c.Event) > MaxEventNameLen || !utf8.ValidString(c.Event) {
			t.Fatalf("bad event name %q", c.Event)
		}
		if len(c.Properties) > MaxProperties {
			t.Fatalf("%d properties", len(c.Properties))
		}
		seen := map[string]bool{}
		for _, p := range c.Properties {
			if p.Key == "" || UTF16Len(p.Key) > MaxPropertyKeyLen || !utf8.ValidString(p.Key) || seen[p.Key] {
				t.Fatalf("bad or repeated key %q", p.Key)
			}
			seen[p.Key] = true
			for _, seg := range strings.Split(p.Key, ".") {
				if reservedKeys[seg] {
					t.Fatalf("reserved key %q", p.Key)
				}
			}
			switch v := p.Value.(type) {
			case string:
				if UTF16Len(v) > MaxPropertyValueLen || !utf8.ValidString(v) {
					t.Fatalf("bad string value under %q (%d units)", p.Key, UTF16Len(v))
				}
			case float64:
				if !isFinite(v) {
					t.Fatalf("non-finite number under %q", p.Key)
				}
			case bool:
			default:
				t.Fatalf("value of type %T under %q", v, p.Key)
			}
		}
	case MethodIdentify:
		if _, why := CheckIdentity(Str(c.Identity)); why != "" {
			t.Fatalf("identified with %q: %s", c.Identity, why)
		}
	case MethodResetIdentity:
	case MethodAddUserProperties:
		for _, p := range c.Properties {
			if p.Key == "" || p.Key == "id" || p.Key == "user_id" || UTF16Len(p.Key) > MaxPropertyKeyLen {
				t.Fatalf("bad user property key %q", p.Key)
			}
			switch v := p.Value.(type) {
			case string:
				if UTF16Len(v) > MaxUserPropertyLen || !utf8.ValidString(v) {
					t.Fatalf("user property %q too long", p.Key)
				}
			case float64:
				if !isFinite(v) {
					t.Fatalf("non-finite user property %q", p.Key)
				}
			default:
				t.Fatalf("user property %q of type %T", p.Key, v)
			}
		}
	default:
		t.Fatalf("unexpected method %q", c.Method)
	}
}

// FuzzBridge tests that no sequence of inputs panics, every Heap call obeys the limits, and every
// event received is forwarded, dropped, counted as a duplicate or still pending.
func FuzzBridge(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 6, 2, 0, 3, 3})
	f.Add([]byte("\x03\x00\x00\x00\x01\x04\x05alice\x00\x00\x00\x01\x01\x06\x03\x00\x01\x03\x03"))
	f.Add([]byte("\x00\x01\x01\x01\x01\x07\x05\x04\x04\x80\x80\xff\xfe\x07"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &decoder{b: data}
		settings, _ := ParseSettings(d.value(0))
		b := New(settings)
		absent := false
		deliver := func(c Call) error {
			if absent {
				return ErrHeapNotReady
			}
			checkCall(t, c)
			return nil
		}
		for i := 0; i < 64 && len(d.b) > 0; i++ {
			absent = d.byte()%5 == 0
			b.Receive(d.input())
			b.Flush(deliver)
		}
		absent = false
		b.Flush(deliver)
		s := b.Stats()
		if s.Received != s.Forwarded+s.Dropped+s.Duplicates+s.Pending+s.Relaying {
			t.Fatalf("lost events: %+v", s)
		}
		// A message quotes at most two short labels (80 UTF-16 units, up to 6 bytes each once
		// escaped) and a 120-unit error text, whatever the size of the input.
		const maxMessageBytes = 2*80*6 + 120*3 + 300
		for _, m := range b.Messages() {
			if !utf8.ValidString(m.Text) || len(m.Text) > maxMessageBytes {
				t.Fatalf("bad message %q", m.Text)
			}
		}
	})
}

// FuzzCutUTF16 tests that cuts stay within the limit, on a character boundary, as a prefix.
func FuzzCutUTF16(f *testing.F) {
	f.Add("abc😀def", 4)
	f.Add("\xed\xa0\x80x", 1)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 5000 {
			return
		}
		out, _ := CutUTF16(validUTF8(s), max)
		if UTF16Len(out) > max || !strings.HasPrefix(validUTF8(s), out) || !utf8.ValidString(out) {
			t.Fatalf("CutUTF16(%q, %d) = %q", s, max, out)
		}
	})
}

// FuzzSettings tests that any settings object parses without panicking.
func FuzzSettings(f *testing.F) {
	f.Add([]byte{6, 3, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &decoder{b: data}
		ParseSettings(d.value(0))
	})
}
