package relay

import (
	"bytes"
	"context"
	"encoding/base64"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nodeReserialise reads base64 bodies, one a line, and writes for each the base64 of
// JSON.stringify(JSON.parse(body)) as express's body reader gives it the body, or "-" where it throws.
const nodeReserialise = `
let s = require('fs').readFileSync(0, 'utf8');
const out = s.split('\n').filter(Boolean).map((line) => {
  let t = Buffer.from(line, 'base64').toString('utf8');
  if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  try { return Buffer.from(JSON.stringify(JSON.parse(t))).toString('base64'); } catch { return '-'; }
});
process.stdout.write(out.join('\n') + '\n');
`

// TestJSReserialiseMatchesNode compares random bodies, made of the parts JSON.stringify writes
// differently, with what Node writes for them. It needs node on PATH.
func TestJSReserialiseMatchesNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	rng := rand.New(rand.NewPCG(19, 3))
	bodies := make([][]byte, 3000)
	var in bytes.Buffer
	for i := range bodies {
		var b []byte
		if rng.IntN(8) == 0 {
			b = append(b, "\xef\xbb\xbf"...)
		}
		b = randomJSON(rng, b, 0)
		if rng.IntN(10) == 0 { // a byte changed: often not JSON any more
			const swaps = "{}[],:\"\\ 0eE.-\xff"
			b[rng.IntN(len(b))] = swaps[rng.IntN(len(swaps))]
		}
		bodies[i] = b
		in.WriteString(base64.StdEncoding.EncodeToString(b) + "\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "-e", nodeReserialise)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(bodies) {
		t.Fatalf("node wrote %d lines for %d bodies", len(lines), len(bodies))
	}
	notJSON, changed := 0, 0
	for i, body := range bodies {
		want := body
		if lines[i] == "-" {
			notJSON++
		} else if want, err = base64.StdEncoding.DecodeString(lines[i]); err != nil {
			t.Fatal(err)
		}
		if got := jsReserialise(body); !bytes.Equal(got, want) {
			t.Errorf("%q gives %q, Node %q", body, got, want)
		}
		if !bytes.Equal(body, want) {
			changed++
		}
	}
	t.Logf("%d bodies: %d written again differently, %d not JSON", len(bodies), changed, notJSON)
	if notJSON == 0 || notJSON > len(bodies)/4 {
		t.Errorf("%d of %d bodies are not JSON to Node; the mix is off", notJSON, len(bodies))
	}
}

// randomJSON appends a random JSON value, rich in escapes, surrogates, odd numbers, repeated and
// numeric keys, and white space.
func randomJSON(rng *rand.Rand, b []byte, depth int) []byte {
	space := func() {
		for rng.IntN(4) == 0 {
			b = append(b, " \t\r\n"[rng.IntN(4)])
		}
	}
	space()
	switch k := rng.IntN(10); {
	case depth < 4 && k < 3:
		b = append(b, '{')
		for i, n := 0, rng.IntN(6); i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			space()
			b = randomKey(rng, b)
			space()
			b = append(b, ':')
			b = randomJSON(rng, b, depth+1)
		}
		space()
		b = append(b, '}')
	case depth < 4 && k < 5:
		b = append(b, '[')
		for i, n := 0, rng.IntN(5); i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = randomJSON(rng, b, depth+1)
		}
		space()
		b = append(b, ']')
	case k < 7:
		b = randomString(rng, b)
	case k < 9:
		b = append(b, []string{"0", "-0", "1.0", "1e2", "1E+2", "-1e-7", "0.1", "1e21", "1e400", "-1e400", "1e-400", "5e-324",
			"9007199254740993", "123456789012345678901234567890", "2.50", "0e0", "1.7976931348623157e308", "4.35",
			strconv.Itoa(rng.IntN(1 << 40)), strconv.FormatFloat(rng.NormFloat64()*1e6, 'g', -1, 64)}[rng.IntN(20)]...)
	default:
		b = append(b, []string{"true", "false", "null"}[rng.IntN(3)]...)
	}
	space()
	return b
}

// randomKey appends a key from a small set, so that keys repeat, some of them array indices.
func randomKey(rng *rand.Rand, b []byte) []byte {
	return append(b, []string{`"a"`, `"b"`, `"\u0061"`, `"0"`, `"1"`, `"10"`, `"2"`, `"01"`, `"-1"`, `"4294967294"`,
		`"4294967295"`, `"1.5"`, `"__proto__"`, `"\ud800"`, `"é"`}[rng.IntN(15)]...)
}

// randomString appends a string of pieces JSON.stringify writes differently than they came.
func randomString(rng *rand.Rand, b []byte) []byte {
	pieces := []string{"a", "é", "😀", `\u00e9`, `\u00E9`, `\/`, `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0000`, `\u001F`,
		`\u007f`, `\u2028`, `\ud83d`, `\ude00`, `\uD83D\uDE00`, `\uDBFF`, `\uDFFF`, "\u2028", "\x7f", "\xff", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f\x98", "<"}
	b = append(b, '"')
	for n := rng.IntN(6); n > 0; n-- {
		b = append(b, pieces[rng.IntN(len(pieces))]...)
	}
	return append(b, '"')
}
