package logging

import (
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Line makes s safe to print as part of one line: every control character
// (C0 including newline and tab, DEL, C1), the Unicode line and paragraph
// separators, every format character (Unicode category Cf: the bidi
// overrides such as U+202E, zero-width spaces and joiners) and every
// invalid UTF-8 byte become Go-style escapes (\n, \x1b, \u2028, \u202e), so that a value from a token, a server or a flag can
// neither start a new log line nor carry a terminal or CI control sequence.
func Line(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(hexByte(s[i]))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(hexByte(byte(r)))
		case r >= 0x80 && r <= 0x9f, r == '\u2028', r == '\u2029', r == '\u0085', unicode.Is(unicode.Cf, r) && r <= 0xffff:
			b.WriteString(`\u` + hex4(r))
		case unicode.Is(unicode.Cf, r):
			b.WriteString(`\U000` + string(hexDigits[r>>16&0xf]) + hex4(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			return true
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029':
			return true
		case r >= 0xad && unicode.Is(unicode.Cf, r):
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

func hexByte(c byte) string { return `\x` + string([]byte{hexDigits[c>>4], hexDigits[c&0xf]}) }

func hex4(r rune) string {
	return string([]byte{hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf]})
}

// Writer is the one way diagnostics reach a person: every Write is one
// record (a line, with or without its final newline), printed with every
// known secret scrubbed and every control character escaped, newlines
// inside the record included. A record that would read as a CI command
// (GitHub's ::add-mask::, ::set-output::, ##[group]) has its first colon or
// hash escaped. CI markers of our own (GitLab's section_start, GitHub's
// ::group::) go through Raw.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	secrets *Secrets
}

// NewWriter returns a Writer printing to w; secrets may be nil.
func NewWriter(w io.Writer, secrets *Secrets) *Writer {
	if g, ok := w.(*Writer); ok {
		w = g.w
	}
	return &Writer{w: w, secrets: secrets}
}

// Write prints p as one record. It reports len(p) on success, as fmt
// expects, whatever the escaping added.
func (w *Writer) Write(p []byte) (int, error) {
	text := string(p)
	nl := strings.HasSuffix(text, "\n")
	text = Line(cutUserinfo(w.secrets.Scrub(strings.TrimSuffix(text, "\n"))))
	text = defuse(text)
	if nl {
		text += "\n"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := io.WriteString(w.w, text); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteLines prints text of several lines of our own making (JSON from an
// encoder, a block of rows), each line a record.
func (w *Writer) WriteLines(text string) error {
	for line := range strings.Lines(text) {
		if _, err := w.Write([]byte(line)); err != nil {
			return err
		}
	}
	return nil
}

// defuse escapes the start of a record that a CI runner would take for a
// command: GitHub reads "::name::" and "##[name]" at the start of a line,
// after any whitespace.
func defuse(line string) string {
	rest := strings.TrimLeft(line, " \t")
	lead := line[:len(line)-len(rest)]
	switch {
	case strings.HasPrefix(rest, "::"):
		return lead + `\x3a` + rest[1:]
	case strings.HasPrefix(rest, "##["):
		return lead + `\x23` + rest[1:]
	}
	return line
}

// Raw is the writer under w, for the CI markers of our own that must keep
// their control characters; any other writer is returned as it is.
func Raw(w io.Writer) io.Writer {
	if g, ok := w.(*Writer); ok {
		return rawWriter{g}
	}
	return w
}

// rawWriter still scrubs secrets and serialises with the Writer: only the
// escaping is skipped.
type rawWriter struct{ g *Writer }

func (r rawWriter) Write(p []byte) (int, error) {
	text := cutUserinfo(r.g.secrets.Scrub(string(p)))
	r.g.mu.Lock()
	defer r.g.mu.Unlock()
	if _, err := io.WriteString(r.g.w, text); err != nil {
		return 0, err
	}
	return len(p), nil
}
