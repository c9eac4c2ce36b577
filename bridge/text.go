package bridge

import "strconv"

// Text for console messages and the answer: numbers, quoted strings and names.

func itoa(i int) string { return strconv.Itoa(i) }

// quote renders s for a console message.
func quote(s string) string { return strconv.Quote(s) }

// label renders a name for a console message, cut short so messages stay readable.
func label(s string) string {
	out, cut := CutUTF16(validUTF8(s), 80)
	if cut {
		out += "…"
	}
	return quote(out)
}
