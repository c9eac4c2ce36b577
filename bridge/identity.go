package bridge

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mergeRiskIDs are ids that many people share; identifying with one merges strangers in Heap,
// irreversibly (docs/identity.md). Compared folded: lower case, compatibility forms, no joiners.
var mergeRiskIDs = map[string]bool{
	"0": true, "-1": true, "user": true, "guest": true, "anonymous": true, "unknown": true,
	"n/a": true, "na": true, "test": true,
}

// nonValueWords are what JavaScript, Go, Python and C write for a value that was never set; an id
// made only of them (with spaces or punctuation between) is a program's bug, shared by every user.
var nonValueWords = map[string]bool{
	"undefined": true, "null": true, "nil": true, "none": true, "nan": true, "true": true, "false": true,
}

// maxSafeInteger is 2^53-1: beyond it a JavaScript number is already rounded when the page has it.
const maxSafeInteger = 1<<53 - 1

// CheckIdentity returns the Heap identity for a Userpilot user id, or why it must not be used.
// The page and the relay both call it, so both refuse the same ids; docs/identity.md is its table.
// An id it accepts is returned as it came: folding is only for telling shared ids in disguise.
func CheckIdentity(id Value) (string, string) {
	var s string
	switch id.Kind {
	case KindString:
		if why := identityEdgeProblem(id.Str); why != "" {
			return "", why
		}
		if why := identityCharProblem(id.Str); why != "" {
			return "", why
		}
		s = id.Str
	case KindNumber:
		if id.Num != math.Trunc(id.Num) || math.Abs(id.Num) > maxSafeInteger {
			return "", "it is the number " + JSNumberString(id.Num) + ", which is not a safe integer (beyond 2^53 a number is already rounded in the page, so two users could become one); pass the id as a string"
		}
		s = JSNumberString(id.Num)
	default:
		return "", "it is " + describe(id) + ", not a string or a number"
	}
	if s == "" {
		return "", "it is empty"
	}
	if UTF16Len(s) > MaxIdentityLen {
		return "", "it is longer than 255 characters"
	}
	norm := strings.ToLower(compatFold(strings.Map(dropJoiner, s)))
	if why := templateProblem(norm); why != "" {
		return "", why
	}
	if mergeRiskIDs[norm] {
		return "", quote(s) + " is shared by many people and would merge them into one Heap user"
	}
	if why := nonValueProblem(norm); why != "" {
		return "", quote(s) + why
	}
	return s, ""
}

// nonValueProblem returns why a folded id is only stringified non-values ("undefined undefined",
// "[object Object]", "\"null\"", "<nil>") or only punctuation ("-", "{}"), or "".
func nonValueProblem(norm string) string {
	rest := norm
	for {
		i := strings.Index(rest, "[object ")
		j := strings.IndexByte(rest[max(i, 0):], ']')
		if i < 0 || j < 0 {
			break
		}
		rest = rest[:i] + " " + rest[i+j+1:]
	}
	words := strings.FieldsFunc(rest, func(r rune) bool { return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.So) })
	for _, w := range words {
		if !nonValueWords[w] {
			return ""
		}
	}
	if len(words) == 0 && rest == norm {
		return " is only punctuation, which cannot tell one person from another"
	}
	return " is a value that was never set, written as text (undefined, null, nil, None, NaN, true, false, [object …], {}, [], <nil>, (null)); every user of that bug would share it"
}

// templateProblem returns why a folded id is a template placeholder nobody rendered, or "".
func templateProblem(norm string) string {
	for _, p := range [][2]string{{"{{", "}}"}, {"${", "}"}, {"#{", "}"}, {"<%", "%>"}} {
		if i := strings.Index(norm, p[0]); i >= 0 && strings.Contains(norm[i+len(p[0]):], p[1]) {
			return "it holds the template placeholder " + p[0] + "…" + p[1] + ", which was never filled in"
		}
	}
	if i := strings.IndexByte(norm, '%'); i >= 0 {
		if j := strings.IndexByte(norm[i+1:], '%'); j > 0 && isPlaceholderName(norm[i+1:i+1+j]) {
			return "it holds the template placeholder %" + norm[i+1:i+1+j] + "%, which was never filled in"
		}
	}
	if rest, ok := strings.CutPrefix(norm, ":"); ok && isPlaceholderName(rest) {
		return "it is the route placeholder :" + rest + ", which was never filled in"
	}
	return ""
}

// isPlaceholderName is a template variable's name: a letter or _ then letters, digits, _ or dots.
func isPlaceholderName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// identityEdgeProblem names white space at either end of s: " alice" is a second user beside "alice".
func identityEdgeProblem(s string) string {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	switch {
	case s == "":
		return ""
	case isSpace(first):
		return "it begins with white space (" + codePoint(first) + "), which makes a second user beside the trimmed id; trim it before userpilot.identify"
	case isSpace(last):
		return "it ends with white space (" + codePoint(last) + "), which makes a second user beside the trimmed id; trim it before userpilot.identify"
	}
	return ""
}

// isSpace is any kind of white space: Unicode's White_Space and every space separator (Zs).
func isSpace(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) }

// isJoiner is ZWNJ or ZWJ; isVariation a variation selector. Inside a word or an emoji sequence
// they are part of how a name is written (Mohammad\u200cReza, I❤️NY, 👩‍💻).
func isJoiner(r rune) bool    { return r == '\u200c' || r == '\u200d' }
func isVariation(r rune) bool { return unicode.Is(unicode.Variation_Selector, r) }

// dropJoiner removes joiners and variation selectors, for comparing an id with shared ones.
func dropJoiner(r rune) rune {
	if isJoiner(r) || isVariation(r) {
		return -1
	}
	return r
}

// isVisible is a character a joiner or a variation selector may follow or join: a letter, mark,
// number, symbol or punctuation.
func isVisible(r rune) bool {
	return r >= 0 && unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.S, unicode.P)
}

// identityCharProblem returns why s holds a character no identity may hold there, or "". U+FFFD is
// what a lone surrogate (and a byte that is not UTF-8) becomes on its way to Go, so "\ud800x" and
// "\udc00x" would arrive as one id; control characters and invisible ones (format characters,
// variation selectors, Unicode's other default-ignorable code points) make an id look like
// another, or hide a shared one such as "nu\u00adll". ZWNJ, ZWJ and variation selectors are
// accepted inside a word or emoji sequence: a joiner between two visible characters (or after a
// variation selector, as in ❤️‍🔥), a variation selector after a visible character that has
// variants. At either end, doubled or alone they only make an invisible twin.
func identityCharProblem(s string) string {
	prev := rune(-1)
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return "it holds U+FFFD or bytes that are not UTF-8, which is what a lone surrogate becomes; two different ids would become one"
		case unicode.IsControl(r):
			return "it holds the control character " + codePoint(r)
		case isJoiner(r) || isVariation(r):
			next := rune(-1)
			if rest := s[i+utf8.RuneLen(r):]; rest != "" {
				next, _ = utf8.DecodeRuneInString(rest)
			}
			var joins bool
			if isJoiner(r) {
				joins = (isVisible(prev) || isVariation(prev)) && isVisible(next)
			} else { // after a character with variants: not after ASCII, but for a keycap (#️⃣)
				joins = isVisible(prev) && (prev >= utf8.RuneSelf || next == '\u20e3')
			}
			if !joins {
				return "it holds the invisible character " + codePoint(r) + " at an end, doubled or alone, where it makes a twin of another id"
			}
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return "it holds the invisible character " + codePoint(r)
		}
		prev = r
	}
	return ""
}

// codePoint renders r as U+XXXX.
func codePoint(r rune) string {
	const hex = "0123456789ABCDEF"
	out := []byte("U+")
	digits := 4
	for r>>(4*digits) != 0 {
		digits++
	}
	for i := digits - 1; i >= 0; i-- {
		out = append(out, hex[(r>>(4*i))&0xF])
	}
	return string(out)
}

// compatFold replaces each character whose compatibility form (NFKC) is ASCII with that form:
// fullwidth, mathematical, circled, squared, superscript and small letters and digits,
// ligatures such as "ﬁ", letterlike symbols such as "ℓ", compatibility spaces. Those are the
// forms in which a shared id can pass for another; other characters are kept. The tables below
// are the whole of NFKC's mappings to ASCII (Unicode 15.0), so the page's module does without
// golang.org/x/text's normalisation tables; TestFoldIsNFKC checks them against that package.
func compatFold(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		b.WriteString(compatRune(r))
	}
	return b.String()
}

// compatRune is r's NFKC form when that is ASCII, else r.
func compatRune(r rune) string {
	if r < utf8.RuneSelf {
		return string(r)
	}
	lo, hi := 0, len(compatRuns)
	for lo < hi {
		m := (lo + hi) / 2
		if run := compatRuns[m]; r < run.lo {
			hi = m
		} else if r >= run.lo+rune(run.n) {
			lo = m + 1
		} else {
			return string(rune(run.to) + (r - run.lo))
		}
	}
	lo, hi = 0, len(compatSeqs)
	for lo < hi {
		m := (lo + hi) / 2
		switch seq := compatSeqs[m]; {
		case r < seq.r:
			hi = m
		case r > seq.r:
			lo = m + 1
		default:
			start := 0
			if m > 0 {
				start = int(compatSeqs[m-1].end)
			}
			return compatText[start:seq.end]
		}
	}
	return string(r)
}

// compatRun folds the n code points from lo to the ASCII characters from to on.
type compatRun struct {
	lo rune
	n  uint8
	to byte
}

// compatSeq folds r to compatText[previous end:end], several ASCII characters.
type compatSeq struct {
	r   rune
	end uint16
}

// NFKC's single-character ASCII mappings, in runs; generated with golang.org/x/text/unicode/norm.
var compatRuns = [...]compatRun{
	{0xA0, 1, ' '}, {0xAA, 1, 'a'}, {0xB2, 2, '2'}, {0xB9, 1, '1'}, {0xBA, 1, 'o'}, {0x17F, 1, 's'},
	{0x2B0, 1, 'h'}, {0x2B2, 1, 'j'}, {0x2B3, 1, 'r'}, {0x2B7, 1, 'w'}, {0x2B8, 1, 'y'}, {0x2E1, 1, 'l'},
	{0x2E2, 1, 's'}, {0x2E3, 1, 'x'}, {0x37E, 1, ';'}, {0x1D2C, 1, 'A'}, {0x1D2E, 1, 'B'}, {0x1D30, 2, 'D'},
	{0x1D33, 8, 'G'}, {0x1D3C, 1, 'O'}, {0x1D3E, 1, 'P'}, {0x1D3F, 1, 'R'}, {0x1D40, 2, 'T'}, {0x1D42, 1, 'W'},
	{0x1D43, 1, 'a'}, {0x1D47, 1, 'b'}, {0x1D48, 2, 'd'}, {0x1D4D, 1, 'g'}, {0x1D4F, 1, 'k'}, {0x1D50, 1, 'm'},
	{0x1D52, 1, 'o'}, {0x1D56, 1, 'p'}, {0x1D57, 2, 't'}, {0x1D5B, 1, 'v'}, {0x1D62, 1, 'i'}, {0x1D63, 1, 'r'},
	{0x1D64, 2, 'u'}, {0x1D9C, 1, 'c'}, {0x1DA0, 1, 'f'}, {0x1DBB, 1, 'z'}, {0x1FEF, 1, '`'}, {0x2000, 1, ' '},
	{0x2001, 1, ' '}, {0x2002, 1, ' '}, {0x2003, 1, ' '}, {0x2004, 1, ' '}, {0x2005, 1, ' '}, {0x2006, 1, ' '},
	{0x2007, 1, ' '}, {0x2008, 1, ' '}, {0x2009, 1, ' '}, {0x200A, 1, ' '}, {0x2024, 1, '.'}, {0x202F, 1, ' '},
	{0x205F, 1, ' '}, {0x2070, 1, '0'}, {0x2071, 1, 'i'}, {0x2074, 6, '4'}, {0x207A, 1, '+'}, {0x207C, 1, '='},
	{0x207D, 2, '('}, {0x207F, 1, 'n'}, {0x2080, 10, '0'}, {0x208A, 1, '+'}, {0x208C, 1, '='}, {0x208D, 2, '('},
	{0x2090, 1, 'a'}, {0x2091, 1, 'e'}, {0x2092, 1, 'o'}, {0x2093, 1, 'x'}, {0x2095, 1, 'h'}, {0x2096, 4, 'k'},
	{0x209A, 1, 'p'}, {0x209B, 2, 's'}, {0x2102, 1, 'C'}, {0x210A, 1, 'g'}, {0x210B, 1, 'H'}, {0x210C, 1, 'H'},
	{0x210D, 1, 'H'}, {0x210E, 1, 'h'}, {0x2110, 1, 'I'}, {0x2111, 1, 'I'}, {0x2112, 1, 'L'}, {0x2113, 1, 'l'},
	{0x2115, 1, 'N'}, {0x2119, 3, 'P'}, {0x211C, 1, 'R'}, {0x211D, 1, 'R'}, {0x2124, 1, 'Z'}, {0x2128, 1, 'Z'},
	{0x212A, 1, 'K'}, {0x212C, 2, 'B'}, {0x212F, 1, 'e'}, {0x2130, 2, 'E'}, {0x2133, 1, 'M'}, {0x2134, 1, 'o'},
	{0x2139, 1, 'i'}, {0x2145, 1, 'D'}, {0x2146, 2, 'd'}, {0x2148, 2, 'i'}, {0x2160, 1, 'I'}, {0x2164, 1, 'V'},
	{0x2169, 1, 'X'}, {0x216C, 1, 'L'}, {0x216D, 2, 'C'}, {0x216F, 1, 'M'}, {0x2170, 1, 'i'}, {0x2174, 1, 'v'},
	{0x2179, 1, 'x'}, {0x217C, 1, 'l'}, {0x217D, 2, 'c'}, {0x217F, 1, 'm'}, {0x2460, 9, '1'}, {0x24B6, 26, 'A'},
	{0x24D0, 26, 'a'}, {0x24EA, 1, '0'}, {0x2C7C, 1, 'j'}, {0x2C7D, 1, 'V'}, {0x3000, 1, ' '}, {0xA7F2, 1, 'C'},
	{0xA7F3, 1, 'F'}, {0xA7F4, 1, 'Q'}, {0xFB29, 1, '+'}, {0xFE10, 1, ','}, {0xFE13, 2, ':'}, {0xFE15, 1, '!'},
	{0xFE16, 1, '?'}, {0xFE33, 1, '_'}, {0xFE34, 1, '_'}, {0xFE35, 2, '('}, {0xFE37, 1, '{'}, {0xFE38, 1, '}'},
	{0xFE47, 1, '['}, {0xFE48, 1, ']'}, {0xFE4D, 1, '_'}, {0xFE4E, 1, '_'}, {0xFE4F, 1, '_'}, {0xFE50, 1, ','},
	{0xFE52, 1, '.'}, {0xFE54, 1, ';'}, {0xFE55, 1, ':'}, {0xFE56, 1, '?'}, {0xFE57, 1, '!'}, {0xFE59, 2, '('},
	{0xFE5B, 1, '{'}, {0xFE5C, 1, '}'}, {0xFE5F, 1, '#'}, {0xFE60, 1, '&'}, {0xFE61, 2, '*'}, {0xFE63, 1, '-'},
	{0xFE64, 1, '<'}, {0xFE65, 1, '>'}, {0xFE66, 1, '='}, {0xFE68, 1, '\\'}, {0xFE69, 2, '$'}, {0xFE6B, 1, '@'},
	{0xFF01, 94, '!'}, {0x107A5, 1, 'q'}, {0x1D400, 26, 'A'}, {0x1D41A, 26, 'a'}, {0x1D434, 26, 'A'}, {0x1D44E, 7, 'a'},
	{0x1D456, 18, 'i'}, {0x1D468, 26, 'A'}, {0x1D482, 26, 'a'}, {0x1D49C, 1, 'A'}, {0x1D49E, 2, 'C'}, {0x1D4A2, 1, 'G'},
	{0x1D4A5, 2, 'J'}, {0x1D4A9, 4, 'N'}, {0x1D4AE, 8, 'S'}, {0x1D4B6, 4, 'a'}, {0x1D4BB, 1, 'f'}, {0x1D4BD, 7, 'h'},
	{0x1D4C5, 11, 'p'}, {0x1D4D0, 26, 'A'}, {0x1D4EA, 26, 'a'}, {0x1D504, 2, 'A'}, {0x1D507, 4, 'D'}, {0x1D50D, 8, 'J'},
	{0x1D516, 7, 'S'}, {0x1D51E, 26, 'a'}, {0x1D538, 2, 'A'}, {0x1D53B, 4, 'D'}, {0x1D540, 5, 'I'}, {0x1D546, 1, 'O'},
	{0x1D54A, 7, 'S'}, {0x1D552, 26, 'a'}, {0x1D56C, 26, 'A'}, {0x1D586, 26, 'a'}, {0x1D5A0, 26, 'A'}, {0x1D5BA, 26, 'a'},
	{0x1D5D4, 26, 'A'}, {0x1D5EE, 26, 'a'}, {0x1D608, 26, 'A'}, {0x1D622, 26, 'a'}, {0x1D63C, 26, 'A'}, {0x1D656, 26, 'a'},
	{0x1D670, 26, 'A'}, {0x1D68A, 26, 'a'}, {0x1D7CE, 10, '0'}, {0x1D7D8, 10, '0'}, {0x1D7E2, 10, '0'}, {0x1D7EC, 10, '0'},
	{0x1D7F6, 10, '0'}, {0x1F12B, 1, 'C'}, {0x1F12C, 1, 'R'}, {0x1F130, 26, 'A'}, {0x1FBF0, 10, '0'},
}

// NFKC's mappings to several ASCII characters, and their text back to back.
var compatSeqs = [...]compatSeq{
	{0x132, 2}, {0x133, 4}, {0x1C7, 6}, {0x1C8, 8}, {0x1C9, 10}, {0x1CA, 12},
	{0x1CB, 14}, {0x1CC, 16}, {0x1F1, 18}, {0x1F2, 20}, {0x1F3, 22}, {0x2025, 24},
	{0x2026, 27}, {0x203C, 29}, {0x2047, 31}, {0x2048, 33}, {0x2049, 35}, {0x20A8, 37},
	{0x2100, 40}, {0x2101, 43}, {0x2105, 46}, {0x2106, 49}, {0x2116, 51}, {0x2120, 53},
	{0x2121, 56}, {0x2122, 58}, {0x213B, 61}, {0x2161, 63}, {0x2162, 66}, {0x2163, 68},
	{0x2165, 70}, {0x2166, 73}, {0x2167, 77}, {0x2168, 79}, {0x216A, 81}, {0x216B, 84},
	{0x2171, 86}, {0x2172, 89}, {0x2173, 91}, {0x2175, 93}, {0x2176, 96}, {0x2177, 100},
	{0x2178, 102}, {0x217A, 104}, {0x217B, 107}, {0x2469, 109}, {0x246A, 111}, {0x246B, 113},
	{0x246C, 115}, {0x246D, 117}, {0x246E, 119}, {0x246F, 121}, {0x2470, 123}, {0x2471, 125},
	{0x2472, 127}, {0x2473, 129}, {0x2474, 132}, {0x2475, 135}, {0x2476, 138}, {0x2477, 141},
	{0x2478, 144}, {0x2479, 147}, {0x247A, 150}, {0x247B, 153}, {0x247C, 156}, {0x247D, 160},
	{0x247E, 164}, {0x247F, 168}, {0x2480, 172}, {0x2481, 176}, {0x2482, 180}, {0x2483, 184},
	{0x2484, 188}, {0x2485, 192}, {0x2486, 196}, {0x2487, 200}, {0x2488, 202}, {0x2489, 204},
	{0x248A, 206}, {0x248B, 208}, {0x248C, 210}, {0x248D, 212}, {0x248E, 214}, {0x248F, 216},
	{0x2490, 218}, {0x2491, 221}, {0x2492, 224}, {0x2493, 227}, {0x2494, 230}, {0x2495, 233},
	{0x2496, 236}, {0x2497, 239}, {0x2498, 242}, {0x2499, 245}, {0x249A, 248}, {0x249B, 251},
	{0x249C, 254}, {0x249D, 257}, {0x249E, 260}, {0x249F, 263}, {0x24A0, 266}, {0x24A1, 269},
	{0x24A2, 272}, {0x24A3, 275}, {0x24A4, 278}, {0x24A5, 281}, {0x24A6, 284}, {0x24A7, 287},
	{0x24A8, 290}, {0x24A9, 293}, {0x24AA, 296}, {0x24AB, 299}, {0x24AC, 302}, {0x24AD, 305},
	{0x24AE, 308}, {0x24AF, 311}, {0x24B0, 314}, {0x24B1, 317}, {0x24B2, 320}, {0x24B3, 323},
	{0x24B4, 326}, {0x24B5, 329}, {0x2A74, 332}, {0x2A75, 334}, {0x2A76, 337}, {0x3250, 340},
	{0x3251, 342}, {0x3252, 344}, {0x3253, 346}, {0x3254, 348}, {0x3255, 350}, {0x3256, 352},
	{0x3257, 354}, {0x3258, 356}, {0x3259, 358}, {0x325A, 360}, {0x325B, 362}, {0x325C, 364},
	{0x325D, 366}, {0x325E, 368}, {0x325F, 370}, {0x32B1, 372}, {0x32B2, 374}, {0x32B3, 376},
	{0x32B4, 378}, {0x32B5, 380}, {0x32B6, 382}, {0x32B7, 384}, {0x32B8, 386}, {0x32B9, 388},
	{0x32BA, 390}, {0x32BB, 392}, {0x32BC, 394}, {0x32BD, 396}, {0x32BE, 398}, {0x32BF, 400},
	{0x32CC, 402}, {0x32CD, 405}, {0x32CE, 407}, {0x32CF, 410}, {0x3371, 413}, {0x3372, 415},
	{0x3373, 417}, {0x3374, 420}, {0x3375, 422}, {0x3376, 424}, {0x3377, 426}, {0x3378, 429},
	{0x3379, 432}, {0x337A, 434}, {0x3380, 436}, {0x3381, 438}, {0x3383, 440}, {0x3384, 442},
	{0x3385, 444}, {0x3386, 446}, {0x3387, 448}, {0x3388, 451}, {0x3389, 455}, {0x338A, 457},
	{0x338B, 459}, {0x338E, 461}, {0x338F, 463}, {0x3390, 465}, {0x3391, 468}, {0x3392, 471},
	{0x3393, 474}, {0x3394, 477}, {0x3396, 479}, {0x3397, 481}, {0x3398, 483}, {0x3399, 485},
	{0x339A, 487}, {0x339C, 489}, {0x339D, 491}, {0x339E, 493}, {0x339F, 496}, {0x33A0, 499},
	{0x33A1, 501}, {0x33A2, 504}, {0x33A3, 507}, {0x33A4, 510}, {0x33A5, 512}, {0x33A6, 515},
	{0x33A9, 517}, {0x33AA, 520}, {0x33AB, 523}, {0x33AC, 526}, {0x33AD, 529}, {0x33B0, 531},
	{0x33B1, 533}, {0x33B3, 535}, {0x33B4, 537}, {0x33B5, 539}, {0x33B7, 541}, {0x33B8, 543},
	{0x33B9, 545}, {0x33BA, 547}, {0x33BB, 549}, {0x33BD, 551}, {0x33BE, 553}, {0x33BF, 555},
	{0x33C2, 559}, {0x33C3, 561}, {0x33C4, 563}, {0x33C5, 565}, {0x33C7, 568}, {0x33C8, 570},
	{0x33C9, 572}, {0x33CA, 574}, {0x33CB, 576}, {0x33CC, 578}, {0x33CD, 580}, {0x33CE, 582},
	{0x33CF, 584}, {0x33D0, 586}, {0x33D1, 588}, {0x33D2, 591}, {0x33D3, 593}, {0x33D4, 595},
	{0x33D5, 598}, {0x33D6, 601}, {0x33D7, 603}, {0x33D8, 607}, {0x33D9, 610}, {0x33DA, 612},
	{0x33DB, 614}, {0x33DC, 616}, {0x33DD, 618}, {0x33FF, 621}, {0xFB00, 623}, {0xFB01, 625},
	{0xFB02, 627}, {0xFB03, 630}, {0xFB04, 633}, {0xFB05, 635}, {0xFB06, 637}, {0xFE19, 640},
	{0xFE30, 642}, {0x1F100, 644}, {0x1F101, 646}, {0x1F102, 648}, {0x1F103, 650}, {0x1F104, 652},
	{0x1F105, 654}, {0x1F106, 656}, {0x1F107, 658}, {0x1F108, 660}, {0x1F109, 662}, {0x1F10A, 664},
	{0x1F110, 667}, {0x1F111, 670}, {0x1F112, 673}, {0x1F113, 676}, {0x1F114, 679}, {0x1F115, 682},
	{0x1F116, 685}, {0x1F117, 688}, {0x1F118, 691}, {0x1F119, 694}, {0x1F11A, 697}, {0x1F11B, 700},
	{0x1F11C, 703}, {0x1F11D, 706}, {0x1F11E, 709}, {0x1F11F, 712}, {0x1F120, 715}, {0x1F121, 718},
	{0x1F122, 721}, {0x1F123, 724}, {0x1F124, 727}, {0x1F125, 730}, {0x1F126, 733}, {0x1F127, 736},
	{0x1F128, 739}, {0x1F129, 742}, {0x1F12D, 744}, {0x1F12E, 746}, {0x1F14A, 748}, {0x1F14B, 750},
	{0x1F14C, 752}, {0x1F14D, 754}, {0x1F14E, 757}, {0x1F14F, 759}, {0x1F16A, 761}, {0x1F16B, 763},
	{0x1F16C, 765}, {0x1F190, 767},
}

const compatText = "IJijLJLjljNJNjnjDZDzdz.....!!???!!?Rsa/ca/sc/oc/uNoSMTELTMFAXIIIIIIVVIVIIVIIIIXXIXIIiiiiiivviviiviiiixxixii1011121314151617181920(1)(2)(3)(4)(5)(6)(7)(8)(9)(10)(11)(12)(13)(14)(15)(16)(17)(18)(19)(20)1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)(q)(r)(s)(t)(u)(v)(w)(x)(y)(z)::======PTE212223242526272829303132333435363738394041424344454647484950HgergeVLTDhPadaAUbaroVpcdmdm2dm3IUpAnAmAkAKBMBGBcalkcalpFnFmgkgHzkHzMHzGHzTHzmldlklfmnmmmcmkmmm2cm2m2km2mm3cm3m3km3PakPaMPaGParadpsnsmspVnVmVkVMVpWnWmWkWMWa.m.BqcccdCo.dBGyhaHPinKKKMktlmlnloglxmbmilmolPHp.m.PPMPRsrSvWbgalfffiflffifflstst.....0.0,1,2,3,4,5,6,7,8,9,(A)(B)(C)(D)(E)(F)(G)(H)(I)(J)(K)(L)(M)(N)(O)(P)(Q)(R)(S)(T)(U)(V)(W)(X)(Y)(Z)CDWZHVMVSDSSPPVWCMCMDMRDJ"

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
