package output

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

// evalExports reads the output of WriteShell the way a POSIX shell's eval
// would: `export NAME=WORD` commands, one per line, where WORD is made of
// single-quoted strings (nothing expanded inside) and backslash-escaped
// characters. Anything else (an unquoted character that a shell might
// expand, a command after the word) is an error: the writer must never
// produce it.
func evalExports(out string) ([]Var, error) {
	var vars []Var
	rest := out
	for rest != "" {
		line, ok := strings.CutPrefix(rest, "export ")
		if !ok {
			return nil, fmt.Errorf("command does not start with export: %q", rest)
		}
		name, word, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("export without '=': %q", line)
		}
		var value strings.Builder
		i := 0
	word:
		for i < len(word) {
			switch c := word[i]; c {
			case '\'':
				end := strings.IndexByte(word[i+1:], '\'')
				if end < 0 {
					return nil, fmt.Errorf("unterminated single quote in %q", word)
				}
				value.WriteString(word[i+1 : i+1+end])
				i += end + 2
			case '\\':
				if i+1 >= len(word) {
					return nil, fmt.Errorf("trailing backslash in %q", word)
				}
				value.WriteByte(word[i+1])
				i += 2
			case '\n':
				i++
				break word
			default:
				return nil, fmt.Errorf("unquoted %q in %q", c, word)
			}
		}
		vars = append(vars, Var{Key: name, Value: value.String()})
		rest = word[i:]
	}
	return vars, nil
}

// hostileValues are values a shell would expand, split or end early if the
// quoting were wrong.
var hostileValues = []string{
	"",
	"plain",
	"with space",
	"it's",
	"'",
	"''",
	"'\\''",
	"$HOME",
	"${HOME}",
	"$(id)",
	"`id`",
	"\\",
	"a\\'b",
	"\"double\"",
	"new\nline",
	"trailing newline\n",
	"tab\there",
	"; rm -rf /",
	"a && b || c | d > e < f",
	"*?[]~#!%",
	"grüße ✓",
	fakeSecret,
	fakeToken,
}

func TestWriteShell_quoting(t *testing.T) {
	t.Parallel()

	for i, value := range hostileValues {
		t.Run(fmt.Sprintf("value_%02d", i), func(t *testing.T) {
			t.Parallel()
			vars := []Var{{Key: "K", Value: value}, {Key: "NEXT", Value: "after"}}
			var out bytes.Buffer
			if err := WriteShell(&out, vars); err != nil {
				t.Fatalf("WriteShell: %v", err)
			}
			got, err := evalExports(out.String())
			if err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			if diff := cmp.Diff(vars, got); diff != "" {
				t.Errorf("values after eval (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteShell_real_shell evaluates the output with /bin/sh, the consumer
// that matters, and compares what the shell holds with what was written.
func TestWriteShell_real_shell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}

	var vars []Var
	for i, value := range hostileValues {
		vars = append(vars, Var{Key: fmt.Sprintf("V%02d", i), Value: value})
	}
	var out bytes.Buffer
	if err := WriteShell(&out, vars); err != nil {
		t.Fatalf("WriteShell: %v", err)
	}

	// Print every variable NUL-terminated, so that values with newlines
	// come back exactly.
	script := `eval "$(cat)"` + "\n"
	for _, v := range vars {
		script += fmt.Sprintf("printf '%%s\\000' \"$%s\"\n", v.Key)
	}
	cmd := exec.Command(sh, "-c", script)
	cmd.Stdin = &out
	cmd.Env = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	values := strings.Split(strings.TrimSuffix(string(got), "\x00"), "\x00")
	want := make([]string, len(vars))
	for i, v := range vars {
		want[i] = v.Value
	}
	if diff := cmp.Diff(want, values); diff != "" {
		t.Errorf("values in sh (-want +got):\n%s", diff)
	}
}

func TestWriteShell_golden(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	vars := append(Variables("", fakeCredentials(), fakeSession()), Variables("PROD_", fakeCredentials(), fakeSession())...)
	if err := WriteShell(&out, vars); err != nil {
		t.Fatalf("WriteShell: %v", err)
	}
	goldentest.Check(t, "shell.golden", out.Bytes())
}

func TestWriteShell_refusals_write_nothing(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		vars []Var
	}{
		{name: "leading_digit_prefix", vars: Variables("1_", fakeCredentials(), fakeSession())},
		{name: "dash_in_prefix", vars: Variables("PROD-", fakeCredentials(), fakeSession())},
		{name: "empty_key", vars: []Var{{Key: "", Value: "x"}}},
		{name: "key_with_space", vars: []Var{{Key: "A B", Value: "x"}}},
		{name: "key_with_semicolon", vars: []Var{{Key: "A;id", Value: "x"}}},
		{name: "key_256_chars", vars: []Var{{Key: strings.Repeat("K", 256), Value: "x"}}},
		{name: "nul_in_secret", vars: append(Variables("", fakeCredentials(), fakeSession()), Var{Key: "S", Value: secretMarker + "\x00", Secret: true})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := WriteShell(&out, tc.vars)
			var ve *VarError
			if !errors.As(err, &ve) {
				t.Fatalf("WriteShell error = %v, want *VarError", err)
			}
			if out.Len() != 0 {
				t.Errorf("WriteShell wrote %d bytes before refusing", out.Len())
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteShell_write_error(t *testing.T) {
	t.Parallel()
	err := WriteShell(failingWriter{}, Variables("", fakeCredentials(), fakeSession()))
	if err == nil {
		t.Fatal("WriteShell ignored the write error")
	}
	assertNoSecret(t, "error", err.Error())
}
