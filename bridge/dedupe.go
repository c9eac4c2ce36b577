package bridge

// Roads an event can reach the bridge by.
const (
	RoadOn        = "on"        // userpilot.on(...) handlers
	RoadInterface = "interface" // Userpilot's Heap integration calling the bridge's heap interface
)

// DedupeWindowMs is how far apart the two roads may deliver one occurrence.
const DedupeWindowMs = 3000

// Deduper makes each Userpilot occurrence count once. On one road, the loader's stamps decide: the
// same payload object (ref), or the same event in the same page task, is one occurrence delivered
// twice (the stub and the SDK that replaced it). Across roads, an occurrence absorbs at most one
// delivery of the same event from the other road within DedupeWindowMs; an id missing on one side
// matches any, since Userpilot's integration payloads are undocumented.
type Deduper struct {
	recent []seenEvent
}

type seenEvent struct {
	name, id string
	ref      int
	task     int
	road     string
	at       float64
	matched  bool // already absorbed a delivery from the other road
}

// dedupeMemory is how many recent occurrences are remembered.
const dedupeMemory = 64

// Seen reports whether this delivery is an occurrence already counted, and remembers it if not.
func (d *Deduper) Seen(name, id string, ref, task int, road string, at float64) bool {
	for i := len(d.recent) - 1; i >= 0; i-- {
		s := &d.recent[i]
		if s.name != name {
			continue
		}
		if s.road == road {
			if (ref > 0 && s.ref == ref) || (task > 0 && s.task == task && s.id == id) {
				return true
			}
			continue
		}
		sameID := s.id == id || s.id == "" || id == ""
		close := (task > 0 && s.task == task) || (at-s.at <= DedupeWindowMs && s.at-at <= DedupeWindowMs)
		if !s.matched && sameID && close {
			s.matched = true
			return true
		}
	}
	if len(d.recent) == dedupeMemory {
		copy(d.recent, d.recent[1:])
		d.recent = d.recent[:dedupeMemory-1]
	}
	d.recent = append(d.recent, seenEvent{name: name, id: id, ref: ref, task: task, road: road, at: at})
	return false
}
