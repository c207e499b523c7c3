package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// psSingleQuotes are the characters PowerShell takes for a single quote:
// the ASCII one and the typographic ‘ ’ ‚ ‛ (U+2018 to U+201B). Inside a
// single-quoted string each of them must be doubled, or it ends the string
// (about_Quoting_Rules; gitlab-runner!7709 fixed the same bug).
const psSingleQuotes = "'\u2018\u2019\u201a\u201b"

// WritePowerShell writes one `$env:KEY = 'value'` line per variable, for
//
//	aws-oidc assume --output powershell | Out-String | Invoke-Expression
//
// in a PowerShell job (GitLab's Windows runners). In a single-quoted string
// PowerShell expands nothing, neither $ nor a backtick; only its single
// quotes are special, and each is written twice, so any value comes back
// byte for byte. Names follow the shell format's rules. Everything is
// checked and rendered before the single write to w, so a refusal writes
// nothing.
func WritePowerShell(w io.Writer, vars []Var) error {
	var b bytes.Buffer
	for _, v := range vars {
		if reason := shellKeyProblem(v.Key); reason != "" {
			return &VarError{Format: "powershell", Key: v.Key, Reason: reason}
		}
		switch {
		case strings.ContainsRune(v.Value, 0):
			return &VarError{Format: "powershell", Key: v.Key, Reason: "the value holds a NUL byte, which no environment variable can hold"}
		case strings.ContainsAny(v.Value, "\r\n"):
			// Invoke-Expression runs each line it is piped on its own.
			return &VarError{Format: "powershell", Key: v.Key, Reason: "the value holds a line break, which a piped Invoke-Expression would split"}
		case !utf8.ValidString(v.Value):
			return &VarError{Format: "powershell", Key: v.Key, Reason: "the value is not valid UTF-8, which PowerShell would read as other characters"}
		case v.Value == "":
			return &VarError{Format: "powershell", Key: v.Key, Reason: "the value is empty, and assigning '' to $env: removes the variable in PowerShell"}
		}
		b.WriteString("$env:")
		b.WriteString(v.Key)
		b.WriteString(" = ")
		b.WriteString(psQuote(v.Value))
		b.WriteByte('\n')
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("failed to write PowerShell assignments: %w", err)
	}
	return nil
}

// psQuote wraps s in single quotes for PowerShell, doubling every
// character PowerShell reads as a single quote.
func psQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune(psSingleQuotes, r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}
