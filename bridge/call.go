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
}
