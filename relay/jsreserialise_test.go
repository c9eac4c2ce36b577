package relay

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestJSReserialise tests the bytes JSON.stringify(JSON.parse(body)) gives, case by case.
func TestJSReserialise(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"white space", "{ \"a\" : [ 1 ,\n2 ] }", `{"a":[1,2]}`},
		{"escapes decoded", `{"s":"\u00e9\/\u0041"}`, `{"s":"é/A"}`},
		{"escapes kept", `{"s":"\"\\\b\f\n\r\t\u0000\u001F"}`, `{"s":"\"\\\b\f\n\r\t\u0000\u001f"}`},
		{"no escape above control characters", `{"s":"\u007f\u2028<>&"}`, "{\"s\":\"\x7f\u2028<>&\"}"},
		{"lone high surrogate", `["\uD800"]`, `["\ud800"]`},
		{"lone low surrogate", `["\uDC00x"]`, `["\udc00x"]`},
		{"surrogate pair", `["\uD83D\uDE00"]`, `["😀"]`},
		{"swapped pair", `["\uDC00\uD800"]`, `["\udc00\ud800"]`},
		{"high escape then a literal pair", `["\ud83d😀"]`, `["\ud83d😀"]`},
		{"numbers", `[1.0,1e2,1E+2,-0,0.10,1e21,1e-7,100e-2]`, `[1,100,100,0,0.1,1e+21,1e-7,1]`},
		{"number out of range", `[1e400,-1e400,1e-400]`, `[null,null,0]`},
		{"big integer", `[9007199254740993,123456789012345678901234567890]`, `[9007199254740992,1.2345678901234568e+29]`},
		{"duplicate key: last value at first place", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{"duplicate key spelt with escapes", `{"A":1,"\u0041":2}`, `{"A":2}`},
		{"index keys first, ascending", `{"b":1,"10":2,"2":3,"a":4,"0":5}`, `{"0":5,"2":3,"10":2,"b":1,"a":4}`},
		{"not index keys", `{"z":0,"01":1,"-1":2,"1.5":3,"4294967295":4,"4294967294":5}`, `{"4294967294":5,"z":0,"01":1,"-1":2,"1.5":3,"4294967295":4}`},
		{"byte order mark dropped", "\ufeff{\"a\":1}", `{"a":1}`},
		{"invalid UTF-8", "[\"\xff\xe2\x82x\"]", "[\"\ufffd\ufffdx\"]"},
		{"scalar", ` "x" `, `"x"`},
		{"trailing comma", `{"a":1,}`, `{"a":1,}`},
		{"leading zero", `[01]`, `[01]`},
		{"raw control character", "[\"\x01\"]", "[\"\x01\"]"},
		{"data after", `{} {}`, `{} {}`},
		{"empty", ``, ``},
	} {
		if got := string(jsReserialise([]byte(c.body))); got != c.want {
			t.Errorf("%s: %q gives %q, want %q", c.name, c.body, got, c.want)
		}
	}
}

// TestJSReserialiseCorpus tests bodies against what Node wrote for them (testdata/jsreserialise,
// made by gen.mjs there): null where JSON.parse throws, which leaves the body as it is.
func TestJSReserialiseCorpus(t *testing.T) {
	text, err := os.ReadFile("testdata/jsreserialise/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []struct {
		Reads string
		Body  string
		Want  *string
	}
	if err := json.Unmarshal(text, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus) < 30 {
		t.Fatalf("%d bodies in the corpus", len(corpus))
	}
	for i, c := range corpus {
		body, err := base64.StdEncoding.DecodeString(c.Body)
		if err != nil {
			t.Fatal(err)
		}
		want := body
		if c.Want != nil {
			if want, err = base64.StdEncoding.DecodeString(*c.Want); err != nil {
				t.Fatal(err)
			}
		}
		if got := jsReserialise(body); string(got) != string(want) {
			t.Errorf("body %d %q gives %q, want %q", i, c.Reads, got, want)
		}
	}
}

// TestJSReserialiseDeep tests that nesting deeper than the relay reads is left as it is, and that
// nesting just within it is written again.
func TestJSReserialiseDeep(t *testing.T) {
	const depth = 10000
	within := strings.Repeat("[", depth) + strings.Repeat(" ]", depth)
	if got, want := string(jsReserialise([]byte(within))), strings.Repeat("[", depth)+strings.Repeat("]", depth); got != want {
		t.Errorf("%d deep: written again as %d bytes, want %d", depth, len(got), len(want))
	}
	deeper := "[" + within + "]"
	if got := string(jsReserialise([]byte(deeper))); got != deeper {
		t.Errorf("%d deep: changed", depth+1)
	}
}

// FuzzJSReserialise checks that what is written again is JSON that is written again as itself,
// and that text encoding/json refuses is left as it is.
func FuzzJSReserialise(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.50,"\u00e9"],"a":{"2":0,"1":1}}`, `["\ud800\udc00\ud800"]`, "\xef\xbb\xbf[1e400]", `{"x":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := jsReserialise(body)
		if string(got) == string(body) && !json.Valid(body) {
			return
		}
		if !json.Valid(got) {
			t.Fatalf("%q gives %q, not JSON", body, got)
		}
		if again := jsReserialise(got); string(again) != string(got) {
			t.Fatalf("%q gives %q, then %q", body, got, again)
		}
	})
}

// TestJSReserialiseNestedReorders tests objects that need reordering inside each other: a few
// levels are written again, and nesting that would copy more than a few times the body's length
// leaves the body as it is.
func TestJSReserialiseNestedReorders(t *testing.T) {
	nested := func(levels int) string {
		return strings.Repeat(`{"b":`, levels) + "1" + strings.Repeat(`,"0":0}`, levels)
	}
	if got, want := string(jsReserialise([]byte(nested(3)))), `{"0":0,"b":{"0":0,"b":{"0":0,"b":1}}}`; got != want {
		t.Errorf("3 levels give %s, want %s", got, want)
	}
	deep := nested(3000)
	if got := string(jsReserialise([]byte(deep))); got != deep {
		t.Errorf("3,000 levels: written again (%d bytes of %d)", len(got), len(deep))
	}
}

// TestJSReserialiseAllocations tests that a large body is written again allocating a few times its
// size, not some per value: a forged body of the segments cap must not take the Worker's memory.
func TestJSReserialiseAllocations(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"data": {"add": [`)
	for i := 0; b.Len() < 1<<20; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"id": "user` + strconv.Itoa(i) + `@example.com", "n": [` + strconv.Itoa(i) + `, 2.50, true]}`)
	}
	b.WriteString(`]}}`)
	body := []byte(b.String())
	if got := jsReserialise(body); len(got) >= len(body) || !json.Valid(got) {
		t.Fatalf("not written again: %d bytes of %d", len(got), len(body))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	jsReserialise(body)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4*uint64(len(body)) {
		t.Errorf("%d bytes allocated for a body of %d", n, len(body))
	} else {
		t.Logf("%d bytes allocated for a body of %d", n, len(body))
	}
}
