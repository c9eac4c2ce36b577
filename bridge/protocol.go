package bridge

// The message protocol between the loader and the module, defined here once: the layout of a
// message and an answer (message.go, answer.go), the kinds of entries, what window.heap offers,
// which entries the loader counts before the module answers, and the names of the counters.
// internal/protocolgen writes js/src/protocol.gen.js from it (make build); a test fails when that
// file is stale. docs/protocol.md describes it in words.

// MessageVersion changes when the message layout does.
const MessageVersion = 1

// BootGlobal is the global of the module's scope where the worker script leaves the boot object
// (init text, attach, fail) the module starts from.
const BootGlobal = "userpilotHeapBridgeBoot"

// Input kinds the loader sends.
const (
	InputEvent           = "event"      // a Userpilot `on` event: Name, Args[0] = payload
	InputIdentify        = "identify"   // userpilot.identify(Args[0], Args[1])
	InputRestore         = "restore"    // an identity recovered from Userpilot's queue or storage
	InputAnonymous       = "anonymous"  // userpilot.anonymous()
	InputClean           = "clean"      // userpilot.clean()
	InputInterface       = "interface"  // Userpilot called heap.<Name>(Args...) on the bridge's Heap interface
	InputConsent         = "consent"    // UserpilotHeapBridge.setConsent(Name)
	InputSettings        = "settings"   // UserpilotHeapBridge.configure(Args[0]) after the module started
	InputRelayed         = "relayed"    // the relay answered a batch: Args = id, status, answer, Retry-After, failure
	InputBeaconed        = "beaconed"   // the page was left and sent a standby beacon: Args = accepted, event ids...
	InputHeapCall        = "heapcall"   // a call the page's own code made on Heap's SDK: Name is the method, Args its first two arguments, Ref the object it carried
	InputStubCall        = "stubcall"   // the same, made on a snippet's stub, which the SDK makes again when it loads (replays.go)
	InputOwnStubCall     = "ownstub"    // a call the bridge made on a snippet's stub: not mirrored, but the SDK makes it again
	InputHeapLoaded      = "heaploaded" // Heap's SDK is on window.heap: its repeats of the stub's calls come now
	InputUserpilotFailed = "upfailed"   // a mirrored Userpilot call not made: it threw (Args = method, message), or, with Name UpIdentityChanged, Userpilot's user was no longer the call's (Args = method, Userpilot's user then or null)
	InputUnwrapped       = "unwrapped"  // window.heap's method Name could not be wrapped: the app's calls to it are not mirrored
)

// HeapState bits: what window.heap offered when the loader posted a message.
const (
	HeapUsable     = 1 << iota // an object whose track is a function (a snippet's stub or the SDK)
	HeapLoaded                 // Heap's SDK itself, not a snippet's stub
	HeapIdentify               // identify is a function
	HeapReset                  // resetIdentity is a function
	HeapUserProps              // addUserProperties is a function
	HeapUnreadable             // reading it threw; calls are tried and their errors counted
)

// EntryKind names entries by kind, and by name too when Name is set.
type EntryKind struct{ Kind, Name string }

// ReceivedEntries are the entries that are received events: the loader counts them as received
// (and pending) until the module answers the message that carried them.
var ReceivedEntries = []EntryKind{{InputEvent, ""}, {InputInterface, MethodTrack}}

// MirroredEntries are the page's Heap calls stats().toUserpilot counts as received, and the
// loader counts until the module answers.
var MirroredEntries = []EntryKind{
	{InputHeapCall, MethodTrack}, {InputHeapCall, MethodAddUserProperties},
	{InputStubCall, MethodTrack}, {InputStubCall, MethodAddUserProperties},
}

// MirroredMethods are the methods of window.heap whose calls by the page's own code the loader
// hands over (toUserpilot; touserpilot.go).
var MirroredMethods = []string{MethodTrack, MethodAddUserProperties, MethodIdentify}

// isIn reports whether in is one of kinds.
func isIn(kinds []EntryKind, in Input) bool {
	for _, k := range kinds {
		if k.Kind == in.Kind && (k.Name == "" || k.Name == in.Name) {
			return true
		}
	}
	return false
}

// StatsCounters are the names of stats()' counters, in the order the answer writes them;
// StatsCounts the names of its counts by name, after them. Stats.counters and Stats.counts give
// the values in the same order.
var (
	StatsCounters = []string{"received", "forwarded", "dropped", "duplicates", "identifies", "resets",
		"pending", "relayed", "relaying", "identityRejected", "truncated"}
	StatsCounts = []string{"dropReasons", "propertyDrops", "events", "interfaceIgnored"}
)

func (s *Stats) counters() []int {
	return []int{s.Received, s.Forwarded, s.Dropped, s.Duplicates, s.Identifies, s.Resets,
		s.Pending, s.Relayed, s.Relaying, s.IdentityRejected, s.Truncated}
}

func (s *Stats) counts() []map[string]int {
	return []map[string]int{s.DropReasons, s.PropertyDrops, s.Events, s.InterfaceIgnored}
}

// ToUserpilotCounters and ToUserpilotCounts name stats().toUserpilot's counters and counts, in
// the order ToUserpilotStats.counters and counts give them.
var (
	ToUserpilotCounters = []string{"received", "forwarded", "dropped", "pending", "identityMismatch"}
	ToUserpilotCounts   = []string{"dropReasons", "propertyDrops"}
)

func (s *ToUserpilotStats) counters() []int {
	return []int{s.Received, s.Forwarded, s.Dropped, s.Pending, s.IdentityMismatch}
}

func (s *ToUserpilotStats) counts() []map[string]int {
	return []map[string]int{s.DropReasons, s.PropertyDrops}
}

// ZeroStats is stats() before the module's first answer, as the answer writes it.
func ZeroStats() string { return string(appendStats(nil, Stats{}, nil)) }
