package relay

import (
	"errors"
	"strconv"
	"strings"
)

// The queues store their entries as length-prefixed fields ("<len>:<bytes>"), so nothing stored is
// parsed twice; appendField writes one and fieldReader reads them back in order.

// appendField appends f to b as one length-prefixed field.
func appendField(b []byte, f string) []byte {
	b = strconv.AppendInt(b, int64(len(f)), 10)
	b = append(b, ':')
	return append(b, f...)
}

// fieldReader reads length-prefixed fields from the start of rest.
type fieldReader struct{ rest string }

// next reads one field; a missing or wrong length is an error.
func (r *fieldReader) next() (string, error) {
	i := strings.IndexByte(r.rest, ':')
	if i <= 0 || i > 9 {
		return "", errors.New("no length")
	}
	n, err := strconv.Atoi(r.rest[:i])
	if err != nil || n < 0 || i+1+n > len(r.rest) {
		return "", errors.New("bad length")
	}
	f := r.rest[i+1 : i+1+n]
	r.rest = r.rest[i+1+n:]
	return f, nil
}
