package bridge

import "strings"

// UserProperties builds heap.addUserProperties properties from an object, under Heap's client
// limits: flat, values at most 255 characters, strings or numbers, no user_id or id key
// (docs/sdk-facts.md#heap-user-properties). allow, when not nil, keeps only the listed top-level names.
func UserProperties(v Value, allow []string) *PropertySet {
	props := NewPropertySet()
	if v.Kind != KindObject {
		if v.Kind != KindUndefined && v.Kind != KindNull {
			props.drop("(properties)", PropUnsupported)
		}
		return props
	}
	for i, k := range v.Keys {
		if i >= len(v.Items) || (allow != nil && !contains(allow, k)) {
			continue
		}
		if lk := strings.ToLower(k); lk == "user_id" || lk == "id" {
			props.drop(k, PropReservedKey)
			continue
		}
		props.Add(k, v.Items[i])
	}
	for i, p := range props.props {
		if b, ok := p.Value.(bool); ok { // user properties take strings and numbers only
			p.Value = scalarText(Bool(b))
			props.props[i].Value = p.Value
		}
		if s, ok := p.Value.(string); ok {
			if cut, was := CutUTF16(s, MaxUserPropertyLen); was {
				props.props[i].Value = cut
				props.Truncated++
			}
		}
	}
	return props
}
