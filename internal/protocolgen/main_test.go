package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// TestGeneratedFileIsCurrent fails when js/src/protocol.gen.js is not what bridge/protocol.go
// makes of it now: run make build (or go run ./internal/protocolgen).
func TestGeneratedFileIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../../js/src/protocol.gen.js")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != render() {
		t.Error("js/src/protocol.gen.js is stale: run make build, or go run ./internal/protocolgen")
	}
}

// TestTypesNameTheCounters tests that js/index.d.ts declares stats()' counters by the names, and
// in the order, bridge/protocol.go gives them.
func TestTypesNameTheCounters(t *testing.T) {
	src, err := os.ReadFile("../../js/index.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)export interface UserpilotHeapBridgeStats \{(.*?)\n\}`).FindSubmatch(src)
	if body == nil {
		t.Fatal("js/index.d.ts has no UserpilotHeapBridgeStats")
	}
	inner := regexp.MustCompile(`(?s)toUserpilot\?: \{(.*?)\};`).FindSubmatch(body[1])
	if inner == nil {
		t.Fatal("UserpilotHeapBridgeStats has no toUserpilot")
	}
	members := func(text []byte) (names []string) {
		for _, m := range regexp.MustCompile(`(?m)^ {2,4}(\w+)\??: (?:number|Record<string, number>);`).FindAllSubmatch(text, -1) {
			names = append(names, string(m[1]))
		}
		return names
	}
	var want, wantUp []string
	want = append(append(want, bridge.StatsCounters...), bridge.StatsCounts...)
	wantUp = append(append(wantUp, bridge.ToUserpilotCounters...), bridge.ToUserpilotCounts...)
	up := members(inner[1])
	outer := members(regexp.MustCompile(`(?s)toUserpilot\?: \{.*?\};`).ReplaceAll(body[1], nil))
	if strings.Join(outer, ",") != strings.Join(want, ",") {
		t.Errorf("index.d.ts declares %v, the module writes %v", outer, want)
	}
	if strings.Join(up, ",") != strings.Join(wantUp, ",") {
		t.Errorf("index.d.ts declares toUserpilot %v, the module writes %v", up, wantUp)
	}
}
