package bridge

// The heap.* methods the bridge calls.
const (
	MethodTrack             = "track"
	MethodIdentify          = "identify"
	MethodResetIdentity     = "resetIdentity"
	MethodAddUserProperties = "addUserProperties"
)

// Call is one call to make on window.heap.
type Call struct {
	Method     string
	Event      string     // track: the event name
	Properties []Property // track, addUserProperties: the properties, in order
	Identity   string     // identify: the identity
	// track: the bridge-assigned event id, when it happened (epoch ms), and the identified user
	// at that moment; the edge relay sends these, heap.track does not need them.
	ID   string
	Time float64
	User string
	// Recovered is true for an event an earlier page stored as it was left (recovered.go).
	Recovered bool
	// Src is the number of the loader's event this track call is for (Input.Num).
	Src int
	// Seq numbers calls in the order the core queued them; a call the page could not take goes
	// back into the queue at its place.
	Seq int
}
