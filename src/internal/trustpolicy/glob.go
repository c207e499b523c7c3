package trustpolicy

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// IAM's StringLike: '*' matches any run of characters (also none, also ':'),
// '?' exactly one; everything else, case included, matches itself.

// globMatch reports whether s matches the StringLike pattern.
func globMatch(pattern, s string) bool {
	// Iterative matching with one backtrack point per '*': linear enough for
	// policy values, and no recursion on hostile input.
	p, n := []rune(pattern), []rune(s)
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || (p[pi] != '*' && p[pi] == n[ni])):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// hasWildcard reports whether a value means a pattern under StringLike.
func hasWildcard(v string) bool { return strings.ContainsAny(v, "*?") }

// language is a regular language that a pattern can be intersected with:
// the set of subjects GitLab can put in a token.
type language struct {
	re   *regexp.Regexp
	prog *syntax.Prog
}

// newLanguage compiles an unanchored regular expression that must match a
// whole string.
func newLanguage(expr string) *language {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		panic(err) // constant expressions, checked by every test
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		panic(err)
	}
	return &language{re: regexp.MustCompile(`^(?:` + expr + `)$`), prog: prog}
}

// matches reports whether an exact value belongs to the language.
func (l *language) matches(s string) bool { return l.re.MatchString(s) }

// meets reports whether some string both matches the StringLike pattern
// and belongs to the language. It walks the product of the pattern and the
// language's automaton, so the answer is exact, not a guess from samples.
func (l *language) meets(pattern string) bool {
	p := []rune(pattern)
	type state struct {
		i  int
		pc uint32
	}
	seen := map[state]bool{}
	var queue []state
	push := func(s state) {
		if !seen[s] {
			seen[s] = true
			queue = append(queue, s)
		}
	}
	push(state{0, uint32(l.prog.Start)})
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		inst := l.prog.Inst[s.pc]
		// A '*' may match nothing.
		if s.i < len(p) && p[s.i] == '*' {
			push(state{s.i + 1, s.pc})
		}
		switch inst.Op {
		case syntax.InstMatch:
			if s.i == len(p) {
				return true
			}
		case syntax.InstAlt, syntax.InstAltMatch:
			push(state{s.i, inst.Out})
			push(state{s.i, inst.Arg})
		case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
			// The expressions used here have no anchors inside, so empty
			// width assertions never block.
			push(state{s.i, inst.Out})
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if s.i == len(p) {
				continue
			}
			switch c := p[s.i]; c {
			case '*':
				if acceptsSome(inst) {
					push(state{s.i, inst.Out})
				}
			case '?':
				if acceptsSome(inst) {
					push(state{s.i + 1, inst.Out})
				}
			default:
				if inst.MatchRune(c) {
					push(state{s.i + 1, inst.Out})
				}
			}
		}
	}
	return false
}

// acceptsSome reports whether a rune instruction accepts any rune at all.
func acceptsSome(inst syntax.Inst) bool {
	switch inst.Op {
	case syntax.InstRuneAny, syntax.InstRuneAnyNotNL, syntax.InstRune1:
		return true
	}
	for i := 0; i+1 < len(inst.Rune); i += 2 {
		if inst.Rune[i] <= inst.Rune[i+1] && inst.Rune[i] <= utf8.MaxRune {
			return true
		}
	}
	// A single-rune list means a case-folded literal.
	return len(inst.Rune) == 1
}
