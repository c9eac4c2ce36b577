package relay

import (
	"strings"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// TestPageBatchesAreAccepted tests that what the page's core sends is exactly what the relay
// takes: hostile payloads normalised by the page never come back refused.
func TestPageBatchesAreAccepted(t *testing.T) {
	var wide []any
	for i := 0; i < 150; i++ {
		wide = append(wide, "k"+strings.Repeat("x", i), bridge.Num(float64(i)))
	}
	payloads := []bridge.Value{
		bridge.Obj("id", bridge.Num(7), "token", bridge.Str("tok7")),
		bridge.Obj("id", bridge.Str("flow-\u2028\"\\\x01"), "note", bridge.Str(strings.Repeat("😀", 700))),
		bridge.Obj(append([]any{"id", bridge.Num(8)}, wide...)...),
		bridge.Obj("id", bridge.Num(9), "meta", bridge.Obj("plan", bridge.Str("pro"), "seats", bridge.Num(1e21), "trial", bridge.Bool(true)),
			"__proto__", bridge.Str("x"), strings.Repeat("k", 600), bridge.Str("long key"), "tags", bridge.Arr(bridge.Str("a"), bridge.Str("b"))),
	}
	b := bridge.New(bridge.Settings{RelayURL: "/v1/events"})
	b.SetPage("0123456789abcdef", float64(testNow.UnixMilli())-5000, 0)
	b.Receive(bridge.Input{Kind: bridge.InputIdentify, Args: []bridge.Value{bridge.Str("alice@example.com")}})
	for i, p := range payloads {
		b.Receive(bridge.Input{Kind: bridge.InputEvent, Name: "started", Args: []bridge.Value{p}, Task: i + 1, At: float64(i)})
	}
	b.Flush(func(bridge.Call) error { return bridge.ErrHeapNotReady })
	batches := b.RelayBatches(1e9)
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	rg := newRig(t, nil)
	a := answer(t, rg.post(batches[0].Body))
	if len(a.Refused) != 0 || len(a.Accepted) != len(payloads) {
		t.Fatalf("answer %+v", a)
	}
	if snap := rg.heap.Snapshot(); len(snap.Events) != len(payloads) || snap.Events[0].Identity != "alice@example.com" {
		t.Fatalf("Heap got %+v", snap)
	}
}
