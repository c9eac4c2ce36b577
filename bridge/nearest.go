package bridge

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// didYouMean is " (did you mean \"x\"?)" for the known name nearest to got, or "" when none is near.
func didYouMean(got string, known []string) string {
	if n := nearestName(got, known); n != "" {
		return " (did you mean " + quote(n) + "?)"
	}
	return ""
}

// nearestName is the known name a mistyped one most likely meant: the same name in another case or
// spelled with _ or - (wasmURL, wasm_url), else the nearest by edit distance (adjacent swaps count
// as one edit) within a third of the name's length, at most 3. Ties go to the first in sorted order.
func nearestName(got string, known []string) string {
	if got == "" || utf8.RuneCountInString(got) > 64 {
		return ""
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	g := fold(got)
	for _, k := range sorted {
		if fold(k) == g {
			return k
		}
	}
	best, bestDist := "", 0
	for _, k := range sorted {
		limit := min(3, utf8.RuneCountInString(k)/3)
		if d := editDistance(g, fold(k)); d <= limit && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	return best
}

// fold lower-cases s and drops the separators people put between words.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// editDistance is the optimal string alignment distance between a and b, by runes: insertions,
// deletions, substitutions and swaps of two adjacent runes each cost one.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
