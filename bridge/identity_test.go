package bridge

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestCheckIdentity tests the merge guard on every risky id of docs/contract.md §4 and on good ids.
func TestCheckIdentity(t *testing.T) {
	rejected := []Value{
		Str(""), Str("   "), Str("null"), Str("undefined"), Str("NaN"), Str("nan"), Str("0"), Num(0), Str("-1"), Num(-1),
		Str("user"), Str(" Guest "), Str("ANONYMOUS"), Str("unknown"), Str("none"), Str("N/A"), Str("Test"),
		Str(strings.Repeat("x", 256)), Num(0), Value{Kind: KindNull}, Undefined(), Obj(), Bool(true),
		Str("\ufeffguest"), Str("\u200bnull\u200b"), Str("\ufeff"), Str("\u2060 user"), Num(1.5), Num(1 << 53),
	}
	for _, v := range rejected {
		if id, why := CheckIdentity(v); why == "" {
			t.Errorf("CheckIdentity(%#v) accepted %q", v, id)
		}
	}
	accepted := []struct {
		in   Value
		want string
	}{
		{Str("alice"), "alice"}, {Num(42), "42"}, {Str(strings.Repeat("x", 255)), strings.Repeat("x", 255)},
		{Str("user-17"), "user-17"}, {Str("testing@example.com"), "testing@example.com"}, {Num(1<<53 - 1), "9007199254740991"},
	}
	for _, c := range accepted {
		if id, why := CheckIdentity(c.in); id != c.want || why != "" {
			t.Errorf("CheckIdentity(%#v) = %q, %q; want %q", c.in, id, why, c.want)
		}
	}
}

// TestIdentityCharacters tests that ids which would merge strangers, or two users with each
// other, are refused: control characters, invisible characters, U+FFFD (what a lone surrogate
// becomes on the way to Go), and compatibility forms of a shared id; and that ids merely
// written in other scripts or forms pass unchanged.
func TestIdentityCharacters(t *testing.T) {
	refused := map[string]string{
		"NUL after null":                    "null\u0000",
		"NUL inside":                        "ali\u0000ce",
		"tab inside":                        "ali\tce",
		"newline at the end":                "alice\n",
		"DEL":                               "alice\u007f",
		"C1 control":                        "alice\u0085",
		"soft hyphen in null":               "nu\u00adll",
		"soft hyphen in a good id":          "ali\u00adce",
		"Mongolian vowel separator":         "undefined\u180e",
		"zero-width space inside":           "gu\u200best",
		"zero-width joiner at the end":      "alice\u200d",
		"word joiner":                       "alice\u2060",
		"left-to-right mark":                "\u200ealice",
		"right-to-left override":            "alice\u202e",
		"BOM inside":                        "ali\ufeffce",
		"variation selector":                "alice\ufe0f",
		"combining grapheme joiner":         "nu\u034fll",
		"Hangul filler":                     "alice\u3164",
		"tag character":                     "alice\U000E0041",
		"U+FFFD from a lone high surrogate": "\ufffdx",
		"U+FFFD alone":                      "\ufffd",
		"invalid UTF-8":                     "alice\xff",
		"fullwidth null":                    "ｎｕｌｌ",
		"fullwidth NULL":                    "ＮＵＬＬ",
		"fullwidth digit zero":              "０",
		"fullwidth minus one":               "－１",
		"small hyphen-minus one":            "\ufe63" + "1",
		"fullwidth n/a":                     "ｎ／ａ",
		"mathematical bold test":            "𝐭𝐞𝐬𝐭",
		"double-struck guest":               "𝕘𝕦𝕖𝕤𝕥",
		"circled user":                      "ⓤⓢⓔⓡ",
		"squared NONE":                      "🄽🄾🄽🄴",
		"roman numeral fifty in null":       "nuⅼⅼ",
		"fi ligature in undefined":          "unde\ufb01ned",
		"st ligature in test":               "te\ufb06",
		"long s in guest":                   "gueſt",
		"Kelvin sign in unknown":            "un\u212anown",
		"script l in null":                  "nu\u2113\u2113",
		"superscript n in nan":              "\u207fan",
		"superscript zero":                  "\u2070",
		"mathematical digit zero":           "\U0001D7CE",
		"no-break spaces around guest":      "\u00a0guest\u3000",
		"squared nA in nan":                 "\u3381n",
	}
	for name, id := range refused {
		if got, why := CheckIdentity(Str(id)); why == "" {
			t.Errorf("%s: CheckIdentity(%q) accepted %q", name, id, got)
		}
	}
	accepted := []string{
		"alice", "user-17", "ａｌｉｃｅ", "用户42", "José", "nul", "nulls", "n/a/b", "Guest-1", "ali\u200dce",
		"👩‍💻"[:4], // the emoji without its joiner sequence
		"test@example.com", "ｔｅｓｔ１", "\u00e9", "Ωmega",
	}
	for _, id := range accepted {
		if got, why := CheckIdentity(Str(id)); got != id || why != "" {
			t.Errorf("CheckIdentity(%q) = %q, %q; want it unchanged", id, got, why)
		}
	}
}

// defaultIgnorable lists Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt,
// Unicode 15.0), for checking the guard refuses every one of them.
var defaultIgnorable = [][2]rune{
	{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
	{0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F}, {0x3164, 0x3164},
	{0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
	{0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
}

// TestEveryInvisibleCharacterIsRefused tests every default-ignorable code point and every
// control character, alone and inside an id.
func TestEveryInvisibleCharacterIsRefused(t *testing.T) {
	check := func(r rune) {
		ids := []string{string(r), "ali" + string(r) + "ce", "alice" + string(r)}
		if r == 0x200c || r == 0x200d {
			ids = []string{string(r), "alice" + string(r), string(r) + "alice", "ali" + string(r) + string(r) + "ce"} // inside a word a joiner is part of it
		}
		for _, id := range ids {
			if got, why := CheckIdentity(Str(id)); why == "" {
				t.Errorf("CheckIdentity(%q) accepted %q (U+%04X)", id, got, r)
			}
		}
	}
	for _, rg := range defaultIgnorable {
		for r := rg[0]; r <= rg[1]; r++ {
			check(r)
		}
	}
	for r := rune(0); r <= 0x10FFFF; r++ {
		if unicode.IsControl(r) {
			check(r)
		}
	}
}

// TestFoldIsNFKC tests compatFold against Unicode's compatibility normalisation (NFKC, from
// golang.org/x/text, which only this test uses) for every code point: it folds exactly those
// whose NFKC form is ASCII, to that form, and leaves every other one as it is.
func TestFoldIsNFKC(t *testing.T) {
	if norm.Version != unicode.Version {
		t.Logf("x/text has Unicode %s, the standard library %s", norm.Version, unicode.Version)
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		in := string(r)
		want := norm.NFKC.String(in)
		if !isASCII(want) {
			want = in
		}
		if got := compatFold(in); got != want {
			t.Errorf("compatFold(%U) = %q, NFKC gives %q", r, got, want)
		}
	}
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzCheckIdentity tests, for any string, that an accepted id comes back unchanged, holds
// nothing the guard refuses, and is no shared id under NFKC folding; and that a refusal gives a
// reason and no id.
func FuzzCheckIdentity(f *testing.F) {
	for _, seed := range []string{"alice", "null", "ｎｕｌｌ", "nu\u00adll", "guest", "undefined\u180e", "\ufffdx",
		"null\u0000", "unde\ufb01ned", "\u00a0GUEST\u3000", "nuⅼⅼ", "用户", "n/a", "ｎ／ａ", "𝐭𝐞𝐬𝐭", "\u3381n", "x\xff",
		"Mohammad\u200cReza", "I❤\ufe0fNY", "👩\u200d💻", "[object Object]", "undefined undefined", "\"null\"", "{{user.id}}", "%USER_ID%", ":userId", "<nil>"} {
		f.Add(seed)
	}
	for _, row := range readIdentityTable(f) {
		if row.id.Kind == KindString {
			f.Add(row.id.Str)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, why := CheckIdentity(Str(s))
		if why != "" {
			if id != "" {
				t.Fatalf("CheckIdentity(%q) refused (%s) but returned %q", s, why, id)
			}
			return
		}
		if id != s {
			t.Fatalf("CheckIdentity(%q) accepted it as %q", s, id)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("CheckIdentity accepted invalid UTF-8 %q", s)
		}
		prev := rune(-1)
		for _, r := range s {
			joiner := (r == 0x200c || r == 0x200d) || unicode.Is(unicode.Variation_Selector, r)
			if r == utf8.RuneError || unicode.IsControl(r) || !joiner && (unicode.Is(unicode.Cf, r) ||
				unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)) {
				t.Fatalf("CheckIdentity accepted %q, which holds U+%04X", s, r)
			}
			if joiner && (prev < 0 || (prev == 0x200c || prev == 0x200d) || unicode.Is(unicode.Variation_Selector, prev) && !(r == 0x200c || r == 0x200d)) {
				t.Fatalf("CheckIdentity accepted %q, which holds U+%04X at the start or doubled", s, r)
			}
			prev = r
		}
		if prev == 0x200c || prev == 0x200d {
			t.Fatalf("CheckIdentity accepted %q, which ends in a joiner", s)
		}
		first, _ := utf8.DecodeRuneInString(s)
		if unicode.IsSpace(first) || unicode.IsSpace(prev) {
			t.Fatalf("CheckIdentity accepted %q, which has white space at an end", s)
		}
		folded := strings.ToLower(norm.NFKC.String(s))
		if mergeRiskIDs[folded] || nonValueWords[strings.Trim(folded, "\"'()<>[]{} ")] {
			t.Fatalf("CheckIdentity accepted %q, which NFKC folds to the shared id %q", s, folded)
		}
		if again, why := CheckIdentity(Str(id)); again != id || why != "" {
			t.Fatalf("an accepted id %q is refused the second time: %s", id, why)
		}
	})
}
