package bridge

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// identityRow is one row of the table in docs/identity.md.
type identityRow struct {
	cell   string // the id as written in the table
	id     Value
	accept bool
	reason string // a part of the refusal's reason
}

// readIdentityTable reads the table of docs/identity.md: a Go string literal or a number, "accepted"
// or "refused", and for a refusal a part of its reason.
func readIdentityTable(t testing.TB) []identityRow {
	t.Helper()
	raw, err := os.ReadFile("../docs/identity.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, found := strings.Cut(string(raw), "| id | result | the reason says |")
	if !found {
		t.Fatal("docs/identity.md has no table headed | id | result | the reason says |")
	}
	var rows []identityRow
	for _, line := range strings.Split(table, "\n")[2:] {
		if !strings.HasPrefix(line, "| `") {
			break
		}
		cols := strings.Split(line, "|") // no id in the table holds a "|"
		if len(cols) != 5 {
			t.Fatalf("docs/identity.md: row %q has %d columns, want 3", line, len(cols)-2)
		}
		cols = []string{strings.TrimSpace(cols[1]), strings.TrimSpace(cols[2]), strings.TrimSpace(cols[3])}
		row := identityRow{cell: strings.Trim(cols[0], "`"), accept: cols[1] == "accepted", reason: cols[2]}
		if cols[1] != "accepted" && cols[1] != "refused" {
			t.Fatalf("docs/identity.md: row %q says %q, want accepted or refused", line, cols[1])
		}
		if strings.HasPrefix(row.cell, `"`) {
			s, err := strconv.Unquote(row.cell)
			if err != nil {
				t.Fatalf("docs/identity.md: %s is no Go string literal: %v", row.cell, err)
			}
			row.id = Str(s)
		} else {
			f, err := strconv.ParseFloat(row.cell, 64)
			if err != nil {
				t.Fatalf("docs/identity.md: %s is no number: %v", row.cell, err)
			}
			row.id = Num(f)
		}
		rows = append(rows, row)
	}
	if len(rows) < 50 {
		t.Fatalf("docs/identity.md: read %d rows; the table was not found whole", len(rows))
	}
	return rows
}

// TestIdentityTable checks CheckIdentity against every row of docs/identity.md: an accepted id
// comes back as it was (a number as JavaScript writes it), a refused one with the reason given.
func TestIdentityTable(t *testing.T) {
	for _, row := range readIdentityTable(t) {
		got, why := CheckIdentity(row.id)
		switch {
		case row.accept && why != "":
			t.Errorf("%s: refused (%s), the table accepts it", row.cell, why)
		case row.accept && row.id.Kind == KindString && got != row.id.Str:
			t.Errorf("%s: accepted as %q, want it unchanged", row.cell, got)
		case row.accept && row.id.Kind == KindNumber && got != JSNumberString(row.id.Num):
			t.Errorf("%s: accepted as %q", row.cell, got)
		case !row.accept && why == "":
			t.Errorf("%s: accepted as %q, the table refuses it", row.cell, got)
		case !row.accept && !strings.Contains(strings.ToLower(why), strings.ToLower(row.reason)):
			t.Errorf("%s: refused because %q, the table says %q", row.cell, why, row.reason)
		}
	}
}
