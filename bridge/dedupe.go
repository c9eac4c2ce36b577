package bridge

// Deduper makes each Userpilot occurrence count once. The loader stamps each delivery with the
// payload object's reference number and the page task it arrived in: the same object, or the
// same event arriving twice within one task, is one occurrence reaching the bridge by two roads.
type Deduper struct {
	recent []seenEvent
}

type seenEvent struct {
	key  string
	ref  int
	task int
}

// dedupeMemory is how many recent occurrences are remembered; roads deliver within one task.
const dedupeMemory = 64

// Seen reports whether this occurrence was already counted, and remembers it if not.
func (d *Deduper) Seen(key string, ref, task int) bool {
	for _, s := range d.recent {
		if s.key != key {
			continue
		}
		if (ref > 0 && s.ref == ref) || (task > 0 && s.task == task) {
			return true
		}
	}
	if len(d.recent) == dedupeMemory {
		copy(d.recent, d.recent[1:])
		d.recent = d.recent[:dedupeMemory-1]
	}
	d.recent = append(d.recent, seenEvent{key: key, ref: ref, task: task})
	return false
}
