package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
)

// VarError reports a variable or step output that an output format cannot
// carry safely. It never holds the value.
type VarError struct {
	// Format is the output format: "shell" or "github".
	Format string
	// Output is true when Key names a GitHub step output, not a variable.
	Output bool
	// Key is the variable or output name concerned.
	Key string
	// Reason says what is wrong, for people.
	Reason string
}

func (e *VarError) Error() string {
	what := "variable"
	if e.Output {
		what = "step output"
	}
	return fmt.Sprintf("%s %q: %s", what, shorten(e.Key), e.Reason)
}

// WriteShell writes one `export KEY='value'` line per variable, for
// eval "$(aws-oidc assume --output shell)".
//
// Values are single-quoted, where a POSIX shell expands nothing; a quote
// inside a value closes the quoted part, adds an escaped quote and reopens
// it, so any value comes back byte for byte. Names must be valid shell names
// as well as valid GitLab names. Everything is checked and rendered before
// the single write to w, so a refusal writes nothing.
func WriteShell(w io.Writer, vars []Var) error {
	var b bytes.Buffer
	for _, v := range vars {
		if reason := shellKeyProblem(v.Key); reason != "" {
			return &VarError{Format: "shell", Key: v.Key, Reason: reason}
		}
		// A shell variable cannot hold a NUL byte: the value would be cut.
		if strings.ContainsRune(v.Value, 0) {
			return &VarError{Format: "shell", Key: v.Key, Reason: "the value holds a NUL byte, which no shell variable can hold"}
		}
		b.WriteString("export ")
		b.WriteString(v.Key)
		b.WriteByte('=')
		b.WriteString(shellQuote(v.Value))
		b.WriteByte('\n')
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("failed to write shell exports: %w", err)
	}
	return nil
}

// shellKeyProblem checks a name against both GitLab's key rule and the POSIX
// name rule (no leading digit).
func shellKeyProblem(key string) string {
	if reason := keyProblem(key); reason != "" {
		return reason
	}
	if !ci.IsVariableName(key) {
		// GitLab's rule holds: only a leading digit is left.
		return "the name starts with a digit, which a shell does not accept; use a prefix that starts with a letter or _"
	}
	return ""
}

// shellQuote wraps s in single quotes for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
