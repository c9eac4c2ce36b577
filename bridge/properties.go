package bridge

import "strings"

// Property is one Heap event property: Value is a string, a finite float64 or a bool.
type Property struct {
	Key   string
	Value any
}

// Reasons a single property is left out of an event; counted in Stats.PropertyDrops.
const (
	PropReservedKey     = "reserved_key"      // __proto__, constructor or prototype
	PropEmptyKey        = "empty_key"         // "" as a key or key segment
	PropKeyTooLong      = "key_too_long"      // 512 UTF-16 units or more
	PropUnsupported     = "unsupported_value" // null, undefined, NaN, Infinity, function, symbol
	PropCycle           = "cycle"             // the value contained itself
	PropUnreadable      = "unreadable"        // a getter threw
	PropTooDeep         = "too_deep"          // nested deeper than the snapshot goes
	PropTooMany         = "too_many_properties"
	PropDuplicateKey    = "duplicate_key" // a flattened key that an earlier property already set
	PropSnapshotOmitted = "too_many_entries"
)

// reservedKeys would touch an object's prototype if set on a JavaScript object.
var reservedKeys = map[string]bool{"__proto__": true, "constructor": true, "prototype": true}

// ArraySeparator joins arrays of scalars, as Heap's server API stores arrays.
const ArraySeparator = "||"

// PropertySet builds an event's properties under Heap's limits, in a stable order: properties
// are kept in the order they are added, and every drop or cut is recorded with its reason.
type PropertySet struct {
	props     []Property
	index     map[string]bool // keys of props, built once there are many; few are scanned
	Drops     map[string]int
	Truncated int
	// FirstDrop names the first dropped property and why, for a readable console message.
	FirstDrop string
}

// NewPropertySet returns an empty set.
func NewPropertySet() *PropertySet {
	return &PropertySet{Drops: map[string]int{}}
}

// indexFrom is how many properties a set holds before it keeps a map of its keys.
const indexFrom = 12

// has reports whether key is set.
func (p *PropertySet) has(key string) bool {
	if p.index != nil {
		return p.index[key]
	}
	for _, prop := range p.props {
		if prop.Key == key {
			return true
		}
	}
	return false
}

// put appends a property whose key is not set yet.
func (p *PropertySet) put(key string, value any) {
	p.props = append(p.props, Property{Key: key, Value: value})
	if p.index != nil {
		p.index[key] = true
	} else if len(p.props) > indexFrom {
		p.index = make(map[string]bool, 2*len(p.props))
		for _, prop := range p.props {
			p.index[prop.Key] = true
		}
	}
}

// Properties returns the properties in order.
func (p *PropertySet) Properties() []Property { return p.props }

func (p *PropertySet) drop(key, reason string) {
	p.Drops[reason]++
	if p.FirstDrop == "" {
		if key == "" {
			key = "(empty)"
		}
		p.FirstDrop = "property " + label(key) + ": " + reason
	}
}

// Add sets key to the Heap-safe form of v. Objects are flattened with dot keys, arrays of
// scalars joined with "||", other arrays flattened by index.
func (p *PropertySet) Add(key string, v Value) {
	if key == "" {
		p.drop(key, PropEmptyKey)
		return
	}
	if v.Omitted > 0 {
		p.drop(key, PropSnapshotOmitted)
		p.Drops[PropSnapshotOmitted] += v.Omitted - 1
	}
	switch v.Kind {
	case KindObject:
		for i, k := range v.Keys {
			if i >= len(v.Items) {
				break
			}
			if reservedKeys[k] {
				p.drop(key+"."+k, PropReservedKey)
				continue
			}
			if k == "" {
				p.drop(key+".", PropEmptyKey)
				continue
			}
			p.Add(key+"."+k, v.Items[i])
		}
		return
	case KindArray:
		if joined, ok := p.joinScalars(key, v); ok {
			p.set(key, joined)
			return
		}
		for i, item := range v.Items {
			p.Add(key+"."+itoa(i), item)
		}
		return
	}
	if s, ok := p.scalar(key, v); ok {
		p.set(key, s)
	}
}

// scalar converts a leaf to a Heap value, or records why it cannot be one.
func (p *PropertySet) scalar(key string, v Value) (any, bool) {
	switch v.Kind {
	case KindString:
		return p.cut(v.Str), true
	case KindNumber:
		if isFinite(v.Num) {
			return v.Num, true
		}
	case KindBool:
		return v.Bool, true
	case KindDate, KindBigInt:
		return p.cut(v.Str), true
	case KindCycle:
		p.drop(key, PropCycle)
		return nil, false
	case KindUnreadable:
		p.drop(key, PropUnreadable)
		return nil, false
	case KindTooDeep:
		p.drop(key, PropTooDeep)
		return nil, false
	}
	p.drop(key, PropUnsupported)
	return nil, false
}

// joinScalars joins an array whose items are all scalars (nulls are dropped and counted).
func (p *PropertySet) joinScalars(key string, v Value) (any, bool) {
	for _, item := range v.Items {
		switch item.Kind {
		case KindObject, KindArray, KindCycle, KindUnreadable, KindTooDeep:
			return nil, false
		}
	}
	var b strings.Builder
	first := true
	for _, item := range v.Items {
		joinable := item.IsScalar() || item.Kind == KindDate || item.Kind == KindBigInt
		if !joinable || (item.Kind == KindNumber && !isFinite(item.Num)) {
			p.drop(key, PropUnsupported)
			continue
		}
		s := scalarText(item)
		if !first {
			b.WriteString(ArraySeparator)
		}
		first = false
		b.WriteString(s)
		if b.Len() > 4*MaxPropertyValueLen { // already far past the limit; the cut below decides
			break
		}
	}
	return p.cut(b.String()), true
}

func (p *PropertySet) cut(s string) string {
	s = validUTF8(s)
	out, cut := CutUTF16(s, MaxPropertyValueLen)
	if cut {
		p.Truncated++
	}
	return out
}

// set adds a final key and Heap-safe value, enforcing key rules and the property cap.
func (p *PropertySet) set(key string, value any) {
	key = validUTF8(key)
	if reason, _ := propertyKeyProblem(key); reason != "" {
		p.drop(key, reason)
		return
	}
	if p.has(key) {
		p.drop(key, PropDuplicateKey)
		return
	}
	if len(p.props) >= MaxProperties-1 { // one place is kept for userpilot_user_id
		p.drop(key, PropTooMany)
		return
	}
	p.put(key, value)
}

// SetReserved adds a property the bridge owns (the user id): it replaces a payload property of
// the same name and uses the place kept for it under the property cap.
func (p *PropertySet) SetReserved(key string, value string) {
	value = p.cut(value)
	if p.has(key) {
		for i := range p.props {
			if p.props[i].Key == key {
				p.props = append(p.props[:i], p.props[i+1:]...)
				break
			}
		}
		p.drop(key, PropDuplicateKey)
		if p.index != nil {
			delete(p.index, key)
		}
	}
	p.put(key, value)
}

// PropBySettings counts properties the properties.drop setting removes.
const PropBySettings = "by_settings"

// Masked replaces a value the properties.mask setting names.
const Masked = "***"

// ApplyRules removes the properties drop names and masks those mask names. A name matches the
// key itself or, for a flattened object, every key under it ("meta" matches "meta.plan"); `*`
// matches any run of characters.
func (p *PropertySet) ApplyRules(drop, mask []string) {
	if len(drop) == 0 && len(mask) == 0 {
		return
	}
	kept := p.props[:0]
	for _, prop := range p.props {
		switch {
		case matchesProperty(drop, prop.Key):
			p.Drops[PropBySettings]++
			if p.index != nil {
				delete(p.index, prop.Key)
			}
			continue
		case matchesProperty(mask, prop.Key):
			prop.Value = Masked
		}
		kept = append(kept, prop)
	}
	p.props = kept
}

func matchesProperty(names []string, key string) bool {
	for _, n := range names {
		if MatchName(n, key) || strings.HasPrefix(key, n+".") {
			return true
		}
	}
	return false
}
