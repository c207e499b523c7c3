package logging

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
)

// Secrets is every secret value one run has learnt so far: the ID token and
// each of its three parts, and the secret key and session token of every
// role session. Servers have been seen echoing parts of a request or of an
// earlier session in their messages, whole or cut, encoded or re-cased, so
// whatever is printed is scrubbed of every run of at least gram characters
// that is a piece of any of them, in any of the forms below. It is safe for
// concurrent use (several roles are assumed at once).
type Secrets struct {
	mu sync.RWMutex
	// grams holds the hash of every gram-long piece of every folded form
	// of every secret.
	grams map[uint64]struct{}
	// short are the folded forms under gram characters, scrubbed whole.
	short []string
	seen  map[string]bool
}

const (
	// minSecret keeps short values from being scrubbed: they would match
	// by chance and make messages unreadable. Every real secret is far
	// longer.
	minSecret = 8
	// gram is the shortest piece of a secret that is scrubbed: long enough
	// that no word of an ordinary message matches one by chance (a secret
	// has no spaces, and its pieces are random), short enough that what is
	// left of a secret tells nothing.
	gram = 14
)

// Redacted replaces a secret in printed text.
const Redacted = "[REDACTED]"

// NewSecrets returns an empty set.
func NewSecrets() *Secrets { return &Secrets{} }

// Add registers values that must never be printed. A nil set ignores them.
func (s *Secrets) Add(values ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grams == nil {
		s.grams, s.seen = map[uint64]struct{}{}, map[string]bool{}
	}
	for _, v := range values {
		if len(v) < minSecret || s.seen[v] {
			continue
		}
		s.seen[v] = true
		for _, f := range encodings(v) {
			f = fold(f)
			if len(f) < gram {
				if len(f) >= minSecret {
					s.short = append(s.short, f)
				}
				continue
			}
			for i := 0; i+gram <= len(f); i++ {
				s.grams[hash(f[i:i+gram])] = struct{}{}
			}
		}
	}
}

// AddToken registers a web identity token and each of its dot-separated
// parts: the payload or the signature alone is as much a secret as the
// whole (the signature makes a forged payload pass).
func (s *Secrets) AddToken(token string) {
	token = strings.TrimSpace(token)
	s.Add(token)
	s.Add(strings.Split(token, ".")...)
}

// encodings are the forms a careless program or server prints a secret in
// that text decoding cannot undo: as is, hex, and base64 in each alphabet,
// the secret starting at each of the three byte offsets of a base64 group
// (a server encoding a larger text holding the secret). The characters of
// a base64 form that also depend on the bytes around the secret are cut
// off. URL and JSON escapes are undone in the text instead (see views).
func encodings(v string) []string {
	out := []string{v, hex.EncodeToString([]byte(v))}
	for off := range 3 {
		b := append(make([]byte, off), v...)
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(b)
			// Offset 1 and 2 put the secret's first bits in the 2nd and
			// 3rd character; the last 3 characters hold bits of what
			// follows it.
			head, tail := []int{0, 2, 3}[off], 3
			if len(e) > head+tail {
				out = append(out, e[head:len(e)-tail])
			}
		}
	}
	return out
}

// fold maps the bytes a server changes without meaning to: letters to
// lower case (an upper-cased secret, upper-case hex) and '+' to a space
// (form decoding).
func fold(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = foldByte(c)
	}
	return string(b)
}

func foldByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '+':
		return ' '
	}
	return c
}

func hash(s string) uint64 {
	// FNV-1a.
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Scrub replaces every run of text that is a piece of a known secret (at
// least gram characters of it, in any form, after undoing percent, JSON
// and XML escapes, once or twice) with [REDACTED].
func (s *Secrets) Scrub(text string) string {
	if s == nil || len(text) < minSecret {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.grams) == 0 && len(s.short) == 0 {
		return text
	}
	var mark []bool
	set := func(from, to int) {
		if mark == nil {
			mark = make([]bool, len(text))
		}
		for i := from; i < to; i++ {
			mark[i] = true
		}
	}
	v := identity(text)
	for round := range 3 {
		if round > 0 {
			next, changed := v.decode()
			if !changed {
				break
			}
			v = next
		}
		f := fold(v.text)
		for i := 0; i+gram <= len(f); i++ {
			if _, ok := s.grams[hash(f[i:i+gram])]; ok {
				set(v.from[i], v.to[i+gram-1])
			}
		}
		for _, short := range s.short {
			for i := 0; ; {
				j := strings.Index(f[i:], short)
				if j < 0 {
					break
				}
				set(v.from[i+j], v.to[i+j+len(short)-1])
				i += j + 1
			}
		}
	}
	if mark == nil {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if !mark[i] {
			b.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(Redacted)
		for i < len(text) && mark[i] {
			i++
		}
	}
	return b.String()
}

// Holds reports whether text contains a known secret, or a piece of one,
// in any form.
func (s *Secrets) Holds(text string) bool {
	return s.Scrub(text) != text
}

// view is text decoded once more, each byte knowing the span of the
// original text it came from.
type view struct {
	text     string
	from, to []int
}

func identity(text string) view {
	v := view{text: text, from: make([]int, len(text)), to: make([]int, len(text))}
	for i := 0; i < len(text); i++ { // bytes, not runes
		v.from[i], v.to[i] = i, i+1
	}
	return v
}

// decode undoes one level of the escapes servers wrap echoed text in:
// percent escapes in either case, JSON's \/, \\, \" and \u00XX, and XML's
// numeric character references.
func (v view) decode() (view, bool) {
	out := view{from: make([]int, 0, len(v.text)), to: make([]int, 0, len(v.text))}
	var b []byte
	changed := false
	t := v.text
	for i := 0; i < len(t); {
		c, n := t[i], 1
		switch {
		case t[i] == '%' && isHex(t, i+1, 2):
			c, n = byte(unhex(t[i+1:i+3])), 3
		case t[i] == '\\' && i+1 < len(t) && strings.IndexByte(`/\"`, t[i+1]) >= 0:
			c, n = t[i+1], 2
		case strings.HasPrefix(t[i:], `\u00`) && isHex(t, i+4, 2):
			c, n = byte(unhex(t[i+4:i+6])), 6
		case t[i] == '&' && strings.HasPrefix(t[i:], "&#"):
			if r, m, ok := charRef(t[i:]); ok {
				c, n = r, m
			}
		}
		if n > 1 {
			changed = true
		}
		b = append(b, c)
		out.from = append(out.from, v.from[i])
		out.to = append(out.to, v.to[i+n-1])
		i += n
	}
	out.text = string(b)
	return out, changed
}

func isHex(s string, at, n int) bool {
	if at+n > len(s) {
		return false
	}
	for _, c := range []byte(s[at : at+n]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func unhex(s string) int {
	n := 0
	for _, c := range []byte(s) {
		n <<= 4
		switch {
		case c <= '9':
			n |= int(c - '0')
		case c >= 'a':
			n |= int(c-'a') + 10
		default:
			n |= int(c-'A') + 10
		}
	}
	return n
}

// charRef reads an XML numeric character reference for an ASCII
// character: &#47; or &#x2F;.
func charRef(s string) (byte, int, bool) {
	end := strings.IndexByte(s, ';')
	if end < 3 || end > 6 {
		return 0, 0, false
	}
	body, n := s[2:end], 0
	if body[0] == 'x' || body[0] == 'X' {
		if !isHex(body, 1, len(body)-1) || len(body) < 2 {
			return 0, 0, false
		}
		n = unhex(body[1:])
	} else {
		for _, c := range []byte(body) {
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			n = n*10 + int(c-'0')
		}
	}
	if n == 0 || n > 0x7f {
		return 0, 0, false
	}
	return byte(n), end + 1, true
}

// LongValueRemoved replaces, in a server's text, a value that looks like a
// credential or a token (see ServerText).
const LongValueRemoved = "[long value removed]"

// longValue is the length from which a run of base64, base64url, hex or
// percent-escaped characters in a server's text is taken for a secret the
// run does not know (an earlier job's token, a credential of another
// session). No message of STS, S3, GitHub or an OIDC issuer needs one: their
// identifiers (request ids, account ids, role and session names, access key
// ids) are shorter, and ARNs are kept (see ServerText).
const longValue = 40

// ServerText is defence in depth for text a server wrote (an error code or
// message, a field of an answer that is printed): beyond the secrets the
// run knows (Scrub), any run of at least 40 characters from the base64,
// base64url and hex alphabets (percent escapes included) that holds both
// a letter and a digit is replaced by [long value removed]. In an ARN or a
// URL only a path element longer than 64 characters is (IAM role and
// session names are up to 64).
func ServerText(text string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		if !tokenByte(text[i]) {
			i++
			continue
		}
		j := i
		letter, digit := false, false
		for j < len(text) && tokenByte(text[j]) {
			c := text[j]
			letter = letter || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			digit = digit || '0' <= c && c <= '9'
			j++
		}
		switch {
		case j-i < longValue || !letter || !digit:
		case named(text, i):
			// An ARN's or a URL's path elements are names of up to 64
			// characters; only a longer one is taken for a value.
			for k := i; k < j; {
				end := strings.IndexByte(text[k:j], '/')
				if end < 0 {
					end = j - k
				}
				if end > 64 {
					b.WriteString(text[last:k])
					b.WriteString(LongValueRemoved)
					last = k + end
				}
				k += end + 1
			}
		default:
			b.WriteString(text[last:i])
			b.WriteString(LongValueRemoved)
			last = j
		}
		i = j
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func tokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+/=_-%", c) >= 0
}

// named reports whether the run at from lies in a word that is an ARN or
// a URL.
func named(text string, from int) bool {
	word := text[strings.LastIndexAny(text[:from], " \t\n\"'(<[{,;=")+1:]
	return strings.HasPrefix(word, "arn:") || strings.HasPrefix(word, "https://") || strings.HasPrefix(word, "http://")
}
