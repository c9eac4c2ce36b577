// Command protocolgen writes js/src/protocol.gen.js, the loader's constants of the message
// protocol, from its one definition in Go (bridge/protocol.go). make build runs it; its test
// fails when the file in the repository is stale.
//
//	go run ./internal/protocolgen -o js/src/protocol.gen.js
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

func main() {
	out := flag.String("o", "js/src/protocol.gen.js", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, []byte(render()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "protocolgen:", err)
		os.Exit(1)
	}
}

// render is the whole generated file.
func render() string {
	var b strings.Builder
	b.WriteString("// Written by internal/protocolgen from bridge/protocol.go (make build); do not edit.\n")
	b.WriteString("// The message protocol's constants the loader needs (docs/protocol.md).\n\n")
	constant(&b, "MESSAGE_VERSION", strconv.Itoa(bridge.MessageVersion), "the first element of every message")
	constant(&b, "BOOT_GLOBAL", quote(bridge.BootGlobal), "where the module finds its boot object")
	b.WriteString("\n// Entry kinds: the first element of an entry.\n")
	for _, k := range []struct{ name, kind string }{
		{"EVENT", bridge.InputEvent}, {"IDENTIFY", bridge.InputIdentify}, {"RESTORE", bridge.InputRestore},
		{"ANONYMOUS", bridge.InputAnonymous}, {"CLEAN", bridge.InputClean},
		{"INTERFACE", bridge.InputInterface}, {"CONSENT", bridge.InputConsent}, {"SETTINGS", bridge.InputSettings},
		{"RELAYED", bridge.InputRelayed}, {"BEACONED", bridge.InputBeaconed}, {"HEAP_CALL", bridge.InputHeapCall},
		{"STUB_CALL", bridge.InputStubCall}, {"OWN_STUB_CALL", bridge.InputOwnStubCall}, {"HEAP_LOADED", bridge.InputHeapLoaded},
		{"USERPILOT_FAILED", bridge.InputUserpilotFailed}, {"UNWRAPPED", bridge.InputUnwrapped},
		{"RECOVERED", bridge.InputRecovered}, {"UNRECOVERED", bridge.InputUnrecovered}, {"GIVEN", bridge.InputGiven},
		{"PERSISTED", bridge.InputPersisted},
	} {
		constant(&b, "KIND_"+k.name, quote(k.kind), "")
	}
	b.WriteString("\n// Snapshot tags: the first element of a snapshot that is not a string, finite number, boolean or null.\n")
	for _, k := range []struct {
		name string
		kind bridge.Kind
	}{
		{"UNDEFINED", bridge.KindUndefined}, {"NUMBER", bridge.KindNumber}, {"OBJECT", bridge.KindObject},
		{"ARRAY", bridge.KindArray}, {"DATE", bridge.KindDate}, {"FUNCTION", bridge.KindFunction},
		{"SYMBOL", bridge.KindSymbol}, {"BIGINT", bridge.KindBigInt}, {"CYCLE", bridge.KindCycle},
		{"UNREADABLE", bridge.KindUnreadable}, {"TOO_DEEP", bridge.KindTooDeep},
	} {
		constant(&b, "SNAP_"+k.name, quote(string(k.kind)), "")
	}
	b.WriteString("\n// HeapState bits: what window.heap offers when a message is posted.\n")
	for _, h := range []struct {
		name string
		bit  int
	}{
		{"USABLE", bridge.HeapUsable}, {"LOADED", bridge.HeapLoaded}, {"IDENTIFY", bridge.HeapIdentify},
		{"RESET", bridge.HeapReset}, {"USER_PROPS", bridge.HeapUserProps}, {"UNREADABLE", bridge.HeapUnreadable},
	} {
		constant(&b, "HEAP_"+h.name, strconv.Itoa(h.bit), "")
	}
	b.WriteString("\n// Drop reasons the loader counts itself, for events the module never saw.\n")
	for _, d := range []struct{ name, reason string }{
		{"QUEUE_FULL", bridge.DropQueueFull}, {"MODULE_UNAVAILABLE", bridge.DropModuleUnavailable}, {"INTERNAL_ERROR", bridge.DropInternalError},
	} {
		constant(&b, "DROP_"+d.name, quote(d.reason), "")
	}
	constant(&b, "UP_IDENTITY_CHANGED", quote(bridge.UpIdentityChanged), "the name of an upfailed entry for a call whose user is no longer Userpilot's")
	b.WriteString("\n")
	constant(&b, "EVENTS", list(bridge.SubscribedEvents()), "the Userpilot `on` events the loader listens to")
	constant(&b, "WRAPPED_METHODS", list(bridge.MirroredMethods), "the methods of window.heap the loader wraps for toUserpilot")
	constant(&b, "RECEIVED", entryTable(bridge.ReceivedEntries), "entries that are received events: a kind (1), or a kind and a name")
	constant(&b, "MIRRORED", entryTable(bridge.MirroredEntries), "entries that are the page's Heap calls to mirror")
	constant(&b, "ZERO_STATS", quote(bridge.ZeroStats()), "stats() before the module's first answer")
	return b.String()
}

func constant(b *strings.Builder, name, value, why string) {
	if why != "" {
		b.WriteString("// " + name + ": " + why + ".\n")
	}
	b.WriteString("export var " + name + " = " + value + ";\n")
}

// entryTable writes kinds as a lookup by kind, then by name, so the loader tells an entry
// without building a string: {kind: 1} for every entry of a kind, {kind: {name: 1}} for some.
func entryTable(kinds []bridge.EntryKind) string {
	var order []string
	names := map[string][]string{}
	for _, k := range kinds {
		if _, seen := names[k.Kind]; !seen {
			order = append(order, k.Kind)
		}
		names[k.Kind] = append(names[k.Kind], k.Name)
	}
	members := make([]string, len(order))
	for i, kind := range order {
		value := "1"
		if ns := names[kind]; ns[0] != "" {
			inner := make([]string, len(ns))
			for j, n := range ns {
				inner[j] = quote(n) + ": 1"
			}
			value = "{ " + strings.Join(inner, ", ") + " }"
		}
		members[i] = quote(kind) + ": " + value
	}
	return "{ " + strings.Join(members, ", ") + " }"
}

func list(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// quote writes s as a JavaScript string in single quotes, as the loader's code does.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
