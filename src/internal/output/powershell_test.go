package output

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

// isPSQuote is PowerShell's test for a single quote character.
func isPSQuote(r rune) bool { return strings.ContainsRune(psSingleQuotes, r) }

// evalPowerShell reads the output of WritePowerShell the way PowerShell's
// tokenizer reads `$env:NAME = '...'`: inside a single-quoted string a
// quote character followed by another quote character is one literal quote
// (the second), any other quote character ends the string, and nothing else
// is special ($, backticks and double quotes included). Anything outside the
// strict form is an error: the writer must never produce it.
func evalPowerShell(out string) ([]Var, error) {
	var vars []Var
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		line, ok := strings.CutSuffix(line, "\n")
		if !ok {
			return nil, fmt.Errorf("line without newline: %q", line)
		}
		rest, ok := strings.CutPrefix(line, "$env:")
		if !ok {
			return nil, fmt.Errorf("line does not start with $env: %q", line)
		}
		name, str, ok := strings.Cut(rest, " = ")
		if !ok {
			return nil, fmt.Errorf("no assignment in %q", line)
		}
		runes := []rune(str)
		if len(runes) < 2 || runes[0] != '\'' {
			return nil, fmt.Errorf("value is not single-quoted: %q", str)
		}
		var value strings.Builder
		i := 1
		closed := false
		for i < len(runes) {
			r := runes[i]
			if isPSQuote(r) {
				if i+1 < len(runes) && isPSQuote(runes[i+1]) {
					value.WriteRune(runes[i+1])
					i += 2
					continue
				}
				closed = true
				i++
				break
			}
			value.WriteRune(r)
			i++
		}
		if !closed || i != len(runes) {
			return nil, fmt.Errorf("string not closed at the end of the line, or something follows it: %q", str)
		}
		vars = append(vars, Var{Key: name, Value: value.String()})
	}
	return vars, nil
}

// psHostileValues are values PowerShell would expand, end early or mangle
// if the quoting were wrong.
var psHostileValues = []string{
	"plain",
	"it's",
	"'",
	"''",
	"'@",
	"$env:HOME",
	"$(Remove-Item -Recurse C:\\)",
	"${x}",
	"`$x`",
	"back`tick`n",
	"\"double\" and \u201csmart double\u201d",
	"O\u2019Connor",
	"\u2018quoted\u2019",
	"\u201alow\u201b",
	"\u2018\u2019\u201a\u201b'",
	"trailing quote'",
	"'leading quote",
	"; Write-Host pwned",
	"a | b & c > d < e",
	"@{a=1}",
	"grüße ✓ 日本",
	"C:\\path\\with\\backslashes\\",
	fakeSecret,
	fakeToken,
}

func TestWritePowerShell_quoting(t *testing.T) {
	t.Parallel()
	for i, value := range psHostileValues {
		t.Run(fmt.Sprintf("value_%02d", i), func(t *testing.T) {
			t.Parallel()
			vars := []Var{{Key: "K", Value: value}, {Key: "NEXT", Value: "after"}}
			var out bytes.Buffer
			if err := WritePowerShell(&out, vars); err != nil {
				t.Fatalf("WritePowerShell: %v", err)
			}
			got, err := evalPowerShell(out.String())
			if err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			if diff := cmp.Diff(vars, got); diff != "" {
				t.Errorf("values after PowerShell reads them (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWritePowerShell_exact(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	vars := []Var{{Key: "A", Value: "it's $x `y`"}, {Key: "B", Value: "O\u2019Connor"}}
	if err := WritePowerShell(&out, vars); err != nil {
		t.Fatal(err)
	}
	want := "$env:A = 'it''s $x `y`'\n$env:B = 'O\u2019\u2019Connor'\n"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}

func TestWritePowerShell_golden(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	vars := append(Variables("", fakeCredentials(), fakeSession()), Variables("PROD_", fakeCredentials(), fakeSession())...)
	if err := WritePowerShell(&out, vars); err != nil {
		t.Fatalf("WritePowerShell: %v", err)
	}
	goldentest.Check(t, "powershell.golden", out.Bytes())
}

func TestWritePowerShell_refusals_write_nothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		vars []Var
	}{
		{name: "leading_digit_prefix", vars: Variables("1_", fakeCredentials(), fakeSession())},
		{name: "dash_in_prefix", vars: Variables("PROD-", fakeCredentials(), fakeSession())},
		{name: "key_with_colon", vars: []Var{{Key: "A:B", Value: "x"}}},
		{name: "key_with_dollar", vars: []Var{{Key: "A$B", Value: "x"}}},
		{name: "empty_value", vars: []Var{{Key: "A", Value: ""}}},
		{name: "newline_in_secret", vars: append(Variables("", fakeCredentials(), fakeSession()), Var{Key: "S", Value: secretMarker + "\n", Secret: true})},
		{name: "carriage_return", vars: []Var{{Key: "A", Value: "x\ry"}}},
		{name: "invalid_utf8", vars: []Var{{Key: "A", Value: "x\x95"}}},
		{name: "nul_in_secret", vars: append(Variables("", fakeCredentials(), fakeSession()), Var{Key: "S", Value: secretMarker + "\x00", Secret: true})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := WritePowerShell(&out, tc.vars)
			var ve *VarError
			if !errors.As(err, &ve) || ve.Format != "powershell" {
				t.Fatalf("WritePowerShell error = %v, want a powershell *VarError", err)
			}
			if out.Len() != 0 {
				t.Errorf("WritePowerShell wrote %d bytes before refusing", out.Len())
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestWritePowerShell_write_error(t *testing.T) {
	t.Parallel()
	err := WritePowerShell(failingWriter{}, Variables("", fakeCredentials(), fakeSession()))
	if err == nil {
		t.Fatal("WritePowerShell ignored the write error")
	}
	assertNoSecret(t, "error", err.Error())
}

func FuzzWritePowerShell(f *testing.F) {
	for _, v := range psHostileValues {
		f.Add("K", v)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		var out bytes.Buffer
		if err := WritePowerShell(&out, []Var{{Key: key, Value: value}}); err != nil {
			if out.Len() != 0 {
				t.Fatalf("refused but wrote %q", out.String())
			}
			return
		}
		got, err := evalPowerShell(out.String())
		if err != nil {
			t.Fatalf("output %q: %v", out.String(), err)
		}
		if len(got) != 1 || got[0].Key != key || got[0].Value != value {
			t.Fatalf("round trip of %q=%q gave %+v", key, value, got)
		}
	})
}
