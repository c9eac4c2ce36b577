package relay

import (
	"strconv"
	"strings"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// unknownField is the error for a key the object being read does not take: exact spelling is
// required, so that a body cannot say one thing to one reader and another to the relay. It hints at
// the field meant when they differ only in case.
func unknownField(r *jsontext.Reader, key string, fields ...string) error {
	hint := ""
	for _, f := range fields {
		if strings.EqualFold(f, key) {
			hint = " (field names are case-sensitive: " + strconv.Quote(f) + ")"
		}
	}
	return r.MemberError("unknown field " + strconv.Quote(key) + hint)
}
