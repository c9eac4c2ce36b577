package bridge

// Stats are the counters the page reads with UserpilotHeapBridge.stats().
type Stats struct {
	Received   int // Userpilot events that reached the bridge
	Forwarded  int // heap.track calls made
	Dropped    int // events not forwarded, by reason in DropReasons
	Duplicates int // deliveries of an occurrence already counted
	Identifies int // heap.identify calls made
	Resets     int // heap.resetIdentity calls made
	// Pending are events held until window.heap can take them.
	Pending int
	// Relayed counts forwarded events that went through the edge relay instead of heap.track.
	Relayed int
	// Relaying are events handed to the relay and not yet settled (in flight or to be sent again).
	Relaying int
	// IdentityRejected counts userpilot.identify ids the merge guard refused.
	IdentityRejected int
	// Truncated counts property values cut to Heap's limit.
	Truncated     int
	DropReasons   map[string]int
	PropertyDrops map[string]int
	// Events counts forwarded events by Heap event name.
	Events map[string]int
	// InterfaceIgnored counts heap.* methods Userpilot called on the bridge's interface that it
	// does not forward (addEventProperties and the like), by method.
	InterfaceIgnored map[string]int
}
