package bridge

import (
	"strings"
	"unicode"
)

// mergeRiskIDs are ids that many people share; identifying with one merges strangers in Heap,
// irreversibly (research/heap.md §2.1). Compared trimmed and lower-cased.
var mergeRiskIDs = map[string]bool{
	"null": true, "undefined": true, "nan": true, "0": true, "-1": true, "user": true,
	"guest": true, "anonymous": true, "unknown": true, "none": true, "n/a": true, "test": true,
}

// CheckIdentity returns the Heap identity for a Userpilot user id, or why it must not be used.
func CheckIdentity(id Value) (string, string) {
	var s string
	switch id.Kind {
	case KindString:
		s = validUTF8(id.Str)
	case KindNumber:
		if !isFinite(id.Num) {
			return "", "it is " + JSNumberString(id.Num)
		}
		s = JSNumberString(id.Num)
	default:
		return "", "it is " + describe(id) + ", not a string or a number"
	}
	norm := strings.ToLower(strings.TrimFunc(s, isBlank))
	switch {
	case norm == "":
		return "", "it is empty"
	case UTF16Len(s) > MaxIdentityLen:
		return "", "it is longer than 255 characters"
	case mergeRiskIDs[norm]:
		return "", quote(s) + " is shared by many people and would merge them into one Heap user"
	}
	return s, ""
}

// Identity tracks the Userpilot user and what Heap was last told, so Heap is identified lazily
// (before the next event), once per user, and reset only if it had been identified.
type Identity struct {
	user    string // the current Userpilot user, if valid
	hasUser bool
	sent    string // the identity Heap was last given
	hasSent bool
}

// Identify records userpilot.identify(id). It returns calls to make now (a reset when the new id
// is rejected while Heap holds someone else) and, if rejected, why.
func (s *Identity) Identify(id Value) ([]Call, string) {
	user, why := CheckIdentity(id)
	if why != "" {
		return s.End(), why
	}
	s.user, s.hasUser = user, true
	return nil, ""
}

// Restore records an identity recovered after the fact, unless one was already seen.
func (s *Identity) Restore(id Value) ([]Call, string) {
	if s.hasUser {
		return nil, ""
	}
	return s.Identify(id)
}

// End records userpilot.anonymous() or clean(): Heap is reset once, if it was identified.
func (s *Identity) End() []Call {
	s.user, s.hasUser = "", false
	if !s.hasSent {
		return nil
	}
	s.sent, s.hasSent = "", false
	return []Call{{Method: MethodResetIdentity}}
}

// BeforeEvent returns the identify call owed before the next event, if the user changed.
func (s *Identity) BeforeEvent() []Call {
	if !s.hasUser || (s.hasSent && s.sent == s.user) {
		return nil
	}
	s.sent, s.hasSent = s.user, true
	return []Call{{Method: MethodIdentify, Identity: s.user}}
}

// User returns the current valid Userpilot user id.
func (s *Identity) User() (string, bool) { return s.user, s.hasUser }

// Synced reports whether Heap already holds the current user.
func (s *Identity) Synced() bool { return s.hasUser && s.hasSent && s.sent == s.user }

// isBlank is white space or an invisible format character (BOM, zero-width space and joiners),
// which would make a shared id look unique.
func isBlank(r rune) bool {
	switch r {
	case '\ufeff', '\u200b', '\u200c', '\u200d', '\u2060':
		return true
	}
	return unicode.IsSpace(r)
}
