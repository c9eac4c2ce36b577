package bridge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCutUTF16 tests that cuts count UTF-16 units and never split a surrogate pair.
func TestCutUTF16(t *testing.T) {
	emoji := "😀" // two UTF-16 units
	cases := []struct {
		name    string
		in      string
		max     int
		want    string
		wantCut bool
	}{
		{"short", "abc", 5, "abc", false},
		{"exact", "abcde", 5, "abcde", false},
		{"ascii cut", "abcdef", 5, "abcde", true},
		{"pair fits", "abc" + emoji, 5, "abc" + emoji, false},
		{"pair straddles the cut", "abcd" + emoji, 5, "abcd", true},
		{"multibyte BMP counts one", strings.Repeat("é", 6), 5, strings.Repeat("é", 5), true},
		{"empty", "", 0, "", false},
	}
	for _, c := range cases {
		got, cut := CutUTF16(c.in, c.max)
		if got != c.want || cut != c.wantCut {
			t.Errorf("%s: CutUTF16(%q, %d) = %q, %v; want %q, %v", c.name, c.in, c.max, got, cut, c.want, c.wantCut)
		}
		if !utf8.ValidString(got) {
			t.Errorf("%s: cut produced invalid UTF-8", c.name)
		}
	}
	if n := UTF16Len(strings.Repeat(emoji, 3) + "a"); n != 7 {
		t.Errorf("UTF16Len = %d, want 7", n)
	}
}
