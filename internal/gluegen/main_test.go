package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

// TestGeneratedPartIsCurrent fails when relay/worker/entry.mjs's generated part is not what
// relay.StepFields and relay.BucketFields make of it now: run make relay-build (or go run ./internal/gluegen).
func TestGeneratedPartIsCurrent(t *testing.T) {
	src, err := os.ReadFile("../../relay/worker/entry.mjs")
	if err != nil {
		t.Fatal(err)
	}
	want, err := splice(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(src) {
		t.Error("relay/worker/entry.mjs's generated part is stale: run make relay-build, or go run ./internal/gluegen")
	}
}

// TestStepOfReadsWhatGoWrites runs the generated stepOf in Node on steps AppendStep wrote. It
// needs node on PATH.
func TestStepOfReadsWhatGoWrites(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	steps := []relay.Step{
		{},
		{Attempt: 7, URL: "https://heapanalytics.com/api/track", Body: `{"events":[{"event":"é ✓ 😀"}]}`, Auth: "Basic eA==", Alarm: 1764800000123},
		{Answer: `{"accepted":3}`, Alarm: 1},
		{Attempt: 1<<32 - 1, Body: strings.Repeat("x", 70000)},
	}
	var in strings.Builder
	for _, s := range steps {
		in.WriteString(base64.StdEncoding.EncodeToString(relay.AppendStep(nil, s)) + "\n")
	}
	script := render() + `
const td = new TextDecoder();
const out = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean).map((line) => {
  const s = stepOf(new Uint8Array(Buffer.from(line, 'base64')));
  return { attempt: s.attempt, alarm: s.alarm, url: s.url, auth: s.auth, answer: td.decode(s.answer), body: td.decode(s.body) };
});
process.stdout.write(JSON.stringify(out));
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "-e", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got []struct {
		Attempt                 int
		Alarm                   int64
		URL, Auth, Answer, Body string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != len(steps) {
		t.Fatalf("node read %d steps of %d", len(got), len(steps))
	}
	for i, s := range steps {
		g := got[i]
		if g.Attempt != s.Attempt || g.Alarm != s.Alarm || g.URL != s.URL || g.Auth != s.Auth || g.Answer != s.Answer || g.Body != s.Body {
			t.Errorf("step %d: wrote %+v, the glue read %+v", i, s, g)
		}
		if n := relay.StepLen(s); n != len(relay.AppendStep(nil, s)) {
			t.Errorf("step %d: StepLen %d, written %d", i, n, len(relay.AppendStep(nil, s)))
		}
	}
}

// TestPutBucketWritesWhatGoReads runs the generated putBucket in Node and reads what it wrote
// with relay.ReadBucket. It needs node on PATH.
func TestPutBucketWritesWhatGoReads(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	buckets := []relay.Bucket{{}, {Tokens: 14999.5, At: 1764800000123, FullAt: 1764800060123}, {Tokens: 0.25, At: 1, FullAt: 1<<53 - 1}}
	var objects []map[string]any
	for _, b := range buckets {
		objects = append(objects, map[string]any{"tokens": b.Tokens, "at": b.At, "fullAt": b.FullAt})
	}
	in, _ := json.Marshal(objects)
	script := render() + `
const out = JSON.parse(require('fs').readFileSync(0, 'utf8')).map((b) => {
  const bytes = new Uint8Array(BUCKET_BYTES);
  putBucket(new DataView(bytes.buffer), b);
  return Buffer.from(bytes).toString('base64');
});
process.stdout.write(JSON.stringify(out));
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "-e", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(buckets) {
		t.Fatalf("%v: %s", err, out)
	}
	for i, b := range buckets {
		raw, _ := base64.StdEncoding.DecodeString(got[i])
		if len(raw) != relay.BucketLen {
			t.Errorf("bucket %d: the glue wrote %d bytes, Go reads %d", i, len(raw), relay.BucketLen)
		}
		if r, ok := relay.ReadBucket(raw); !ok || r != b {
			t.Errorf("bucket %d: the glue wrote %+v, Go read %+v (ok %v)", i, b, r, ok)
		}
	}
}
