package relay

import (
	"encoding/binary"
	"math"
	"testing"
)

// TestReadBucket tests the layout's reader: each field in its place, and a short buffer or a
// number that is not finite read as no bucket.
func TestReadBucket(t *testing.T) {
	write := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	if b, ok := ReadBucket(write(2.5, 1764800000123, 1764800060123)); !ok || b != (Bucket{Tokens: 2.5, At: 1764800000123, FullAt: 1764800060123}) {
		t.Fatalf("read %+v %v", b, ok)
	}
	for name, raw := range map[string][]byte{
		"short":           write(1, 2),
		"NaN tokens":      write(math.NaN(), 1, 2),
		"infinite fullAt": write(1, 2, math.Inf(1)),
		"-infinite at":    write(1, math.Inf(-1), 2),
	} {
		if b, ok := ReadBucket(raw); ok {
			t.Errorf("%s: read %+v", name, b)
		}
	}
}
