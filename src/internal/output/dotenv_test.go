package output

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

func TestParseDotenv(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name     string
		data     string
		want     []Var
		wantRule DotenvRule
		wantLine int
	}{
		{name: "empty_file", data: ""},
		{name: "one_line_final_newline", data: "A=1\n", want: []Var{{Key: "A", Value: "1"}}},
		{name: "one_line_no_final_newline", data: "A=1", want: []Var{{Key: "A", Value: "1"}}},
		{name: "empty_value", data: "A=\n", want: []Var{{Key: "A", Value: ""}}},
		{name: "value_with_equals", data: "A=b=c==\n", want: []Var{{Key: "A", Value: "b=c=="}}},
		{name: "quotes_kept_literally", data: `A="v"` + "\nB='w'\n", want: []Var{{Key: "A", Value: `"v"`}, {Key: "B", Value: "'w'"}}},
		{name: "inline_hash_is_part_of_value", data: "A=1 # note\n", want: []Var{{Key: "A", Value: "1 # note"}}},
		{name: "inner_whitespace_kept", data: "A=a b\tc\n", want: []Var{{Key: "A", Value: "a b\tc"}}},
		{name: "utf8_value", data: "A=grüße\n", want: []Var{{Key: "A", Value: "grüße"}}},
		{name: "key_255_chars", data: strings.Repeat("K", 255) + "=1\n", want: []Var{{Key: strings.Repeat("K", 255), Value: "1"}}},
		{name: "digits_and_lower_case_key", data: "1a_b=1\n", want: []Var{{Key: "1a_b", Value: "1"}}},
		{
			name: "order_kept",
			data: "B=2\nA=1\nC=3\n",
			want: []Var{{Key: "B", Value: "2"}, {Key: "A", Value: "1"}, {Key: "C", Value: "3"}},
		},

		{name: "only_newline", data: "\n", wantRule: RuleFormat, wantLine: 1},
		{name: "blank_line_between", data: "A=1\n\nB=2\n", wantRule: RuleFormat, wantLine: 2},
		{name: "trailing_blank_line", data: "A=1\n\n", wantRule: RuleFormat, wantLine: 2},
		{name: "whitespace_only_line", data: "A=1\n  \n", wantRule: RuleFormat, wantLine: 2},
		{name: "comment_line", data: "# credentials\nA=1\n", wantRule: RuleFormat, wantLine: 1},
		{name: "indented_comment_line", data: "A=1\n  # x\n", wantRule: RuleFormat, wantLine: 2},
		{name: "comment_line_with_equals", data: "# A=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "no_equals", data: "A=1\nJUSTTEXT\n", wantRule: RuleFormat, wantLine: 2},
		{name: "crlf_line_ending", data: "A=1\r\n", wantRule: RuleFormat, wantLine: 1},
		{name: "bare_carriage_return", data: "A=1\rB=2\n", wantRule: RuleFormat, wantLine: 1},
		{name: "export_prefix", data: "export A=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "empty_key", data: "=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "dash_in_key", data: "A-B=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "dot_in_key", data: "A.B=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "non_ascii_key", data: "GRÜSSE=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "space_before_key", data: " A=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "space_before_equals", data: "A =1\n", wantRule: RuleKey, wantLine: 1},
		{name: "key_256_chars", data: strings.Repeat("K", 256) + "=1\n", wantRule: RuleKey, wantLine: 1},
		{name: "space_after_equals", data: "A= 1\n", wantRule: RuleValue, wantLine: 1},
		{name: "trailing_space", data: "A=1 \n", wantRule: RuleValue, wantLine: 1},
		{name: "trailing_tab", data: "A=1\t\n", wantRule: RuleValue, wantLine: 1},
		{name: "trailing_vertical_tab", data: "A=1\v\n", wantRule: RuleValue, wantLine: 1},
		{name: "dollar", data: "A=1\nB=$A\n", wantRule: RuleValue, wantLine: 2},
		{name: "dollar_braces", data: "B=x${A}y\n", wantRule: RuleValue, wantLine: 1},
		{name: "byte_order_mark", data: "\uFEFFA=1\n", wantRule: RuleEncoding, wantLine: 1},
		{name: "invalid_utf8", data: "A=1\nB=\xff\n", wantRule: RuleEncoding, wantLine: 2},
		{name: "nul_byte", data: "A=1\x00\n", wantRule: RuleEncoding, wantLine: 1},
		{name: "duplicate_key", data: "A=1\nB=2\nA=3\n", wantRule: RuleDuplicate, wantLine: 3},
		{name: "duplicate_same_value", data: "A=1\nA=1\n", wantRule: RuleDuplicate, wantLine: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDotenv([]byte(tc.data))
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("ParseDotenv: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("ParseDotenv (-want +got):\n%s", diff)
				}
				return
			}
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("ParseDotenv error = %v, want *DotenvError", err)
			}
			if diff := cmp.Diff([2]any{tc.wantRule, tc.wantLine}, [2]any{de.Rule, de.Line}); diff != "" {
				t.Errorf("rule and line (-want +got):\n%s", diff)
			}
			if de.Hint() == "" {
				t.Error("error has no fix")
			}
		})
	}
}

func TestParseDotenv_never_quotes_malformed_lines(t *testing.T) {
	t.Parallel()

	// A secret that lost its line break sits where a name would be: the
	// error must not repeat it.
	cases := map[string]string{
		"secret_alone":          fakeSecret + "\n",
		"token_with_padding":    fakeToken + "==\n",
		"secret_after_space":    "AWS_SECRET_ACCESS_KEY " + fakeSecret + "\n",
		"secret_value_trailing": "AWS_SECRET_ACCESS_KEY=" + fakeSecret + " \n",
		"token_value_dollar":    "AWS_SESSION_TOKEN=$" + fakeToken + "\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseDotenv([]byte(data))
			if err == nil {
				t.Fatal("ParseDotenv accepted a malformed file")
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name    string
		key     string
		wantErr bool
	}{
		{name: "upper", key: "AWS_REGION"},
		{name: "lower", key: "aws_region"},
		{name: "leading_digit", key: "1AWS"},
		{name: "underscore_only", key: "_"},
		{name: "max_length", key: strings.Repeat("A", 255)},
		{name: "too_long", key: strings.Repeat("A", 256), wantErr: true},
		{name: "empty", key: "", wantErr: true},
		{name: "dash", key: "PROD-AWS_REGION", wantErr: true},
		{name: "space", key: "A B", wantErr: true},
		{name: "newline", key: "A\nB", wantErr: true},
		{name: "equals", key: "A=B", wantErr: true},
		{name: "export", key: "export A", wantErr: true},
		{name: "dollar", key: "$A", wantErr: true},
		{name: "non_ascii", key: "É", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateKey(tc.key)
			if diff := cmp.Diff(tc.wantErr, err != nil); diff != "" {
				t.Fatalf("ValidateKey(%q) error = %v (-want +got):\n%s", tc.key, err, diff)
			}
			var de *DotenvError
			if err != nil && (!errors.As(err, &de) || de.Rule != RuleKey) {
				t.Errorf("error = %#v, want a *DotenvError with rule %q", err, RuleKey)
			}
		})
	}
}

func TestValidateValue(t *testing.T) {
	t.Parallel()

	// Values that break a rule carry secretMarker, which no error may repeat.
	m := secretMarker
	cases := []struct {
		name     string
		value    string
		wantRule DotenvRule
	}{
		{name: "secret_key", value: fakeSecret},
		{name: "session_token", value: fakeToken},
		{name: "empty", value: ""},
		{name: "inner_space", value: "a b"},
		{name: "quotes", value: `"a" 'b'`},
		{name: "backtick", value: "`id`"},
		{name: "hash", value: "a#b"},
		{name: "newline", value: m + "\nb", wantRule: RuleValue},
		{name: "carriage_return", value: m + "\rb", wantRule: RuleValue},
		{name: "trailing_newline", value: m + "\n", wantRule: RuleValue},
		{name: "dollar", value: m + "$b", wantRule: RuleValue},
		{name: "leading_space", value: " " + m, wantRule: RuleValue},
		{name: "trailing_space", value: m + " ", wantRule: RuleValue},
		{name: "leading_tab", value: "\t" + m, wantRule: RuleValue},
		{name: "trailing_form_feed", value: m + "\f", wantRule: RuleValue},
		{name: "only_space", value: " ", wantRule: RuleValue},
		{name: "nul", value: m + "\x00b", wantRule: RuleEncoding},
		{name: "invalid_utf8", value: m + "\xc3", wantRule: RuleEncoding},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateValue("MY_KEY", tc.value)
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("ValidateValue: %v", err)
				}
				return
			}
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("ValidateValue error = %v, want *DotenvError", err)
			}
			if diff := cmp.Diff(tc.wantRule, de.Rule); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), `"MY_KEY"`) {
				t.Errorf("error %q does not name the key", err)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestValidateDotenv_limits(t *testing.T) {
	t.Parallel()

	// oneVar renders a single-variable file of exactly size bytes.
	oneVar := func(size int) string { return "A=" + strings.Repeat("x", size-3) + "\n" }
	nVars := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("V" + strings.Repeat("_", i) + "=1\n")
		}
		return b.String()
	}

	cases := []struct {
		name     string
		data     string
		wantRule DotenvRule
	}{
		{name: "size_5119_bytes", data: oneVar(5119)},
		{name: "size_5120_bytes", data: oneVar(5120), wantRule: RuleSize},
		{name: "20_variables", data: nVars(20)},
		{name: "21_variables", data: nVars(21), wantRule: RuleCount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := validateDotenv([]byte(tc.data), DefaultDotenvLimits())
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("ValidateDotenv: %v", err)
				}
				return
			}
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("ValidateDotenv error = %v, want *DotenvError", err)
			}
			if diff := cmp.Diff(tc.wantRule, de.Rule); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteDotenv_golden(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name     string
		existing string
		writes   [][]Var // one WriteDotenv call each
	}{
		{
			name:   "dotenv_one_role.golden",
			writes: [][]Var{Variables("", fakeCredentials(), fakeSession())},
		},
		{
			name: "dotenv_two_prefixes.golden",
			writes: [][]Var{
				Variables("", fakeCredentials(), fakeSession()),
				Variables("PROD_", fakeCredentials(), fakeSession()),
			},
		},
		{
			name:     "dotenv_merged_into_existing.golden",
			existing: "BUILD_VERSION=1.2.3\nAWS_REGION=us-east-1\nDEPLOY_TARGET=blue\n",
			writes:   [][]Var{Variables("", fakeCredentials(), fakeSession())},
		},
		{
			name: "dotenv_same_role_twice.golden",
			writes: [][]Var{
				Variables("", fakeCredentials(), fakeSession()),
				Variables("", fakeCredentials(), fakeSession()),
			},
		},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.name, ".golden"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "aws.env")
			if tc.existing != "" {
				if err := os.WriteFile(path, []byte(tc.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, vars := range tc.writes {
				if err := writeDotenv(context.Background(), path, vars, DefaultDotenvLimits()); err != nil {
					t.Fatalf("WriteDotenv: %v", err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			goldentest.Check(t, tc.name, got)

			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fs.FileMode(0o600), info.Mode().Perm()); diff != "" {
				t.Errorf("mode (-want +got):\n%s", diff)
			}
			if _, err := validateDotenv(got, DefaultDotenvLimits()); err != nil {
				t.Errorf("written file breaks a GitLab rule: %v", err)
			}
		})
	}
}

func TestWriteDotenv_merge_replaces_in_place(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "aws.env")
	if err := os.WriteFile(path, []byte("A=1\nB=2\nC=3\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := writeDotenv(context.Background(), path, []Var{{Key: "D", Value: "4"}, {Key: "B", Value: "two"}}, DefaultDotenvLimits()); err != nil {
		t.Fatalf("WriteDotenv: %v", err)
	}

	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("A=1\nB=two\nC=3\nD=4\n", string(got)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
}

func TestWriteDotenv_limits(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name     string
		existing string
		vars     []Var
		wantRule DotenvRule
	}{
		// "A=" + value + "\n" is len(value)+3 bytes.
		{name: "size_5119_bytes", vars: []Var{{Key: "A", Value: strings.Repeat("x", 5116)}}},
		{name: "size_5120_bytes", vars: []Var{{Key: "A", Value: strings.Repeat("x", 5117)}}, wantRule: RuleSize},
		{
			name:     "size_5120_bytes_with_existing",
			existing: "B=" + strings.Repeat("y", 4000) + "\n",
			vars:     []Var{{Key: "A", Value: strings.Repeat("x", 5117-4003)}},
			wantRule: RuleSize,
		},
		{name: "20_variables", vars: manyVars("V", 20)},
		{name: "21_variables", vars: manyVars("V", 21), wantRule: RuleCount},
		{name: "14_existing_and_6_new", existing: renderVars(manyVars("OLD", 14)), vars: Variables("", fakeCredentials(), fakeSession())},
		{name: "15_existing_and_6_new", existing: renderVars(manyVars("OLD", 15)), vars: Variables("", fakeCredentials(), fakeSession()), wantRule: RuleCount},
		{
			name:     "replaced_variables_count_once",
			existing: renderVars(manyVars("V", 20)),
			vars:     manyVars("V", 20),
		},
		{name: "four_roles_are_24_variables", existing: renderVars(append(append(
			Variables("A_", fakeCredentials(), fakeSession()),
			Variables("B_", fakeCredentials(), fakeSession())...),
			Variables("C_", fakeCredentials(), fakeSession())...)),
			vars: Variables("D_", fakeCredentials(), fakeSession()), wantRule: RuleCount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "aws.env")
			if tc.existing != "" {
				if err := os.WriteFile(path, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, dir)

			err := writeDotenv(context.Background(), path, tc.vars, DefaultDotenvLimits())

			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("WriteDotenv: %v", err)
				}
				return
			}
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("WriteDotenv error = %v, want *DotenvError", err)
			}
			if diff := cmp.Diff(tc.wantRule, de.Rule); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
			setting := map[DotenvRule]string{RuleSize: "dotenv_size", RuleCount: "dotenv_variables"}[tc.wantRule]
			if !strings.Contains(err.Error(), setting) {
				t.Errorf("error %q does not name the instance setting %q", err, setting)
			}
			if de.Hint() == "" {
				t.Error("error has no fix")
			}
			if tc.existing != "" && !strings.Contains(err.Error(), "already in the file") {
				t.Errorf("error %q does not say how much the existing file holds", err)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestWriteDotenv_refusals_write_nothing(t *testing.T) {
	t.Parallel()

	valid := Variables("", fakeCredentials(), fakeSession())
	withSecret := func(value string) []Var {
		return append(Variables("", fakeCredentials(), fakeSession()), Var{Key: "EXTRA_SECRET", Value: value, Secret: true})
	}

	cases := []struct {
		name     string
		setup    func(t *testing.T, dir string) string // returns the path to write
		vars     []Var
		wantRule DotenvRule // "" when the refusal is not a *DotenvError
		wantRef  atomicfile.Reason
	}{
		{name: "invalid_prefix", vars: Variables("PROD-", fakeCredentials(), fakeSession()), wantRule: RuleKey},
		{name: "key_256_chars", vars: []Var{{Key: strings.Repeat("K", 256), Value: "1"}}, wantRule: RuleKey},
		{name: "empty_key", vars: []Var{{Key: "", Value: "1"}}, wantRule: RuleKey},
		{name: "export_in_key", vars: []Var{{Key: "export A", Value: "1"}}, wantRule: RuleKey},
		{name: "secret_with_dollar", vars: withSecret(secretMarker + "$HOME"), wantRule: RuleValue},
		{name: "secret_with_newline", vars: withSecret(secretMarker + "\nINJECTED=1"), wantRule: RuleValue},
		{name: "secret_with_carriage_return", vars: withSecret(secretMarker + "\rINJECTED=1"), wantRule: RuleValue},
		{name: "secret_with_trailing_space", vars: withSecret(secretMarker + " "), wantRule: RuleValue},
		{name: "secret_with_leading_tab", vars: withSecret("\t" + secretMarker), wantRule: RuleValue},
		{name: "secret_with_nul", vars: withSecret(secretMarker + "\x00"), wantRule: RuleEncoding},
		{name: "secret_invalid_utf8", vars: withSecret(secretMarker + "\xff"), wantRule: RuleEncoding},
		{name: "same_key_twice", vars: append(valid, valid[0]), wantRule: RuleDuplicate},
		{name: "existing_blank_line", setup: existingFile("A=1\n\nB=2\n"), vars: valid, wantRule: RuleFormat},
		{name: "existing_trailing_blank_line", setup: existingFile("A=1\n\n"), vars: valid, wantRule: RuleFormat},
		{name: "existing_comment", setup: existingFile("# from build\nA=1\n"), vars: valid, wantRule: RuleFormat},
		{name: "existing_export", setup: existingFile("export A=1\n"), vars: valid, wantRule: RuleKey},
		{name: "existing_bom", setup: existingFile("\uFEFFA=1\n"), vars: valid, wantRule: RuleEncoding},
		{name: "existing_crlf", setup: existingFile("A=1\r\nB=2\r\n"), vars: valid, wantRule: RuleFormat},
		{name: "existing_duplicates", setup: existingFile("A=1\nA=2\n"), vars: valid, wantRule: RuleDuplicate},
		{name: "existing_dollar", setup: existingFile("A=$B\n"), vars: valid, wantRule: RuleValue},
		{name: "existing_secret_spaces", setup: existingFile("AWS_SECRET_ACCESS_KEY = " + fakeSecret + "\n"), vars: valid, wantRule: RuleKey},
		{name: "existing_too_large", setup: existingFile("A=" + strings.Repeat("x", 6000) + "\n"), vars: valid, wantRule: RuleSize},
		{name: "path_is_directory", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "aws.env")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, vars: valid, wantRef: atomicfile.ReasonDirectory},
		{name: "path_is_symlink", setup: func(t *testing.T, dir string) string {
			if err := os.WriteFile(filepath.Join(dir, "elsewhere.env"), []byte("A=1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "aws.env")
			if err := os.Symlink("elsewhere.env", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, vars: valid, wantRef: atomicfile.ReasonSymlink},
		{name: "path_is_dangling_symlink", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "aws.env")
			if err := os.Symlink("created-through-link.env", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, vars: valid, wantRef: atomicfile.ReasonSymlink},
		{name: "missing_parent", setup: func(t *testing.T, dir string) string {
			return filepath.Join(dir, "missing", "aws.env")
		}, vars: valid, wantRef: atomicfile.ReasonNoParent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "aws.env")
			if tc.setup != nil {
				path = tc.setup(t, dir)
			}
			before := snapshot(t, dir)

			err := writeDotenv(context.Background(), path, tc.vars, DefaultDotenvLimits())

			if err == nil {
				t.Fatal("WriteDotenv accepted the input")
			}
			if tc.wantRule != "" {
				var de *DotenvError
				if !errors.As(err, &de) {
					t.Fatalf("WriteDotenv error = %v, want *DotenvError", err)
				}
				if diff := cmp.Diff(tc.wantRule, de.Rule); diff != "" {
					t.Errorf("rule (-want +got):\n%s", diff)
				}
				if de.Path != path {
					t.Errorf("error path = %q, want %q", de.Path, path)
				}
				assertNoSecret(t, "hint", de.Hint())
			}
			if tc.wantRef != "" {
				var refused *atomicfile.RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("WriteDotenv error = %v, want *atomicfile.RefusedError", err)
				}
				if diff := cmp.Diff(tc.wantRef, refused.Reason); diff != "" {
					t.Errorf("reason (-want +got):\n%s", diff)
				}
			}
			assertNoSecret(t, "error", err.Error())
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestDotenvError_message(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		err  *DotenvError
		want string
	}{
		{
			name: "everything",
			err:  &DotenvError{Path: "aws.env", Line: 3, Key: "A", Reason: "the value holds '$'"},
			want: `dotenv file "aws.env" line 3: variable "A": the value holds '$'`,
		},
		{
			name: "no_key",
			err:  &DotenvError{Path: "aws.env", Line: 1, Reason: "the line is blank"},
			want: `dotenv file "aws.env" line 1: the line is blank`,
		},
		{
			name: "key_only",
			err:  &DotenvError{Key: "A-B", Reason: "bad"},
			want: `variable "A-B": bad`,
		},
		{
			name: "long_key_shortened",
			err:  &DotenvError{Key: strings.Repeat("K", 300), Reason: "too long"},
			want: `variable "` + strings.Repeat("K", 64) + `…": too long`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
				t.Errorf("Error (-want +got):\n%s", diff)
			}
		})
	}
}

func existingFile(content string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "aws.env")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// manyVars returns n valid variables named prefix0, prefix1, ...
func manyVars(prefix string, n int) []Var {
	vars := make([]Var, n)
	for i := range vars {
		vars[i] = Var{Key: prefix + strings.Repeat("_", i+1), Value: "1"}
	}
	return vars
}

func renderVars(vars []Var) string {
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v.Key + "=" + v.Value + "\n")
	}
	return b.String()
}

// snapshot records every file in dir (name, mode, content or link target).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		desc := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(b)
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRemoveDotenvOnlyRunsVariables: a prefix's variables go only when its
// credentials (key id, secret key, session token) are all there; the file
// keeps its mode.
func TestRemoveDotenvOnlyRunsVariables(t *testing.T) {
	t.Parallel()
	set := func(p string) VarSet {
		return VarSet{Name: p, Keys: []string{p + KeyAccessKeyID, p + KeySecretAccessKey, p + KeySessionToken, p + KeyRegion},
			Credentials: []string{p + KeyAccessKeyID, p + KeySecretAccessKey, p + KeySessionToken}}
	}
	run := "AWS_ACCESS_KEY_ID=ASIAX\nAWS_SECRET_ACCESS_KEY=s\nAWS_SESSION_TOKEN=t\nAWS_REGION=us-east-1\n"
	for _, tc := range []struct {
		name, content, want string
		mode                os.FileMode
		kept                []string
	}{
		{name: "hand_written_region", content: "AWS_REGION=eu-west-1\n", want: "AWS_REGION=eu-west-1\n", mode: 0o644, kept: []string{""}},
		{name: "static_keys_without_token", content: "AWS_ACCESS_KEY_ID=AKIAX\nAWS_SECRET_ACCESS_KEY=s\nOTHER=1\n",
			want: "AWS_ACCESS_KEY_ID=AKIAX\nAWS_SECRET_ACCESS_KEY=s\nOTHER=1\n", mode: 0o600, kept: []string{""}},
		{name: "runs_among_others_keeps_mode", content: "OTHER=1\n" + run, want: "OTHER=1\n", mode: 0o664},
		{name: "other_prefix_incomplete", content: run + "PROD_AWS_REGION=x\n", want: "PROD_AWS_REGION=x\n", mode: 0o640, kept: []string{"PROD_"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "aws.env")
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			done, err := RemoveDotenv(path, []VarSet{set(""), set("PROD_")})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("file = %q, want %q", got, tc.want)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != tc.mode {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.mode)
			}
			if !slices.Equal(done.Kept, tc.kept) {
				t.Errorf("kept = %q, want %q", done.Kept, tc.kept)
			}
		})
	}
}

// TestForeignDotenvKeys: a prefix's variables already in the file are
// someone else's unless its key id, secret key and session token are all
// there.
func TestForeignDotenvKeys(t *testing.T) {
	t.Parallel()
	vars := slices.Concat(Variables("", exchange.Credentials{}, exchange.Session{Region: "us-east-1"}),
		Variables("PROD_", exchange.Credentials{}, exchange.Session{}))
	for _, tc := range []struct {
		name, existing string
		want           []string
	}{
		{name: "empty", existing: ""},
		{name: "hand_written_region", existing: "AWS_REGION=eu-west-1\nOTHER=1\n", want: []string{"AWS_REGION"}},
		{name: "a_runs", existing: "AWS_ACCESS_KEY_ID=A\nAWS_SECRET_ACCESS_KEY=s\nAWS_SESSION_TOKEN=t\nAWS_REGION=x\n"},
		{name: "static_keys_other_prefix", existing: "PROD_AWS_ACCESS_KEY_ID=A\nPROD_AWS_SECRET_ACCESS_KEY=s\n",
			want: []string{"PROD_AWS_ACCESS_KEY_ID", "PROD_AWS_SECRET_ACCESS_KEY"}},
		{name: "not_a_dotenv_file", existing: "# comment\nAWS_REGION=x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, ForeignDotenvKeys([]byte(tc.existing), vars)); diff != "" {
				t.Errorf("foreign keys (-want +got):\n%s", diff)
			}
		})
	}
}
