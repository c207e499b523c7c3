package rolesfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var defaults = Defaults{Region: "us-east-1", Duration: time.Hour}

type summary struct {
	Name, ARN, Region string
	Duration          time.Duration
	Prefix, Profile   string
}

func summarize(rs []Role) []summary {
	var out []summary
	for _, r := range rs {
		out = append(out, summary{r.Name, r.ARN.String(), r.Region, r.Duration, r.Prefix, r.Profile})
	}
	return out
}

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		data    string
		want    []summary
		wantErr string
	}{
		{name: "yaml", data: `
- name: prod
  role_arn: arn:aws:iam::111111111111:role/deploy
  region: eu-west-1
  duration: 30m
  prefix: PROD_
- name: staging
  role_arn: arn:aws:iam::222222222222:role/deploy
  profile: staging
- name: dev-eu
  role_arn: arn:aws:iam::333333333333:role/ci/deploy
  duration: 7200
`, want: []summary{
			{"prod", "arn:aws:iam::111111111111:role/deploy", "eu-west-1", 30 * time.Minute, "PROD_", ""},
			{"staging", "arn:aws:iam::222222222222:role/deploy", "us-east-1", time.Hour, "", "staging"},
			{"dev-eu", "arn:aws:iam::333333333333:role/ci/deploy", "us-east-1", 2 * time.Hour, "DEV_EU_", ""},
		}},
		{name: "json", data: `[{"name":"1st","role_arn":"arn:aws-cn:iam::111111111111:role/x","region":"cn-north-1"}]`,
			want: []summary{{"1st", "arn:aws-cn:iam::111111111111:role/x", "cn-north-1", time.Hour, "_1ST_", ""}}},
		{name: "empty_file", data: "", wantErr: "the file is empty"},
		{name: "empty_list", data: "[]", wantErr: "the list is empty"},
		{name: "not_a_list", data: "name: prod\n", wantErr: "cannot unmarshal"},
		{name: "unknown_key", data: "- name: a\n  rolearn: x\n", wantErr: "field rolearn not found"},
		{name: "missing_arn", data: "- name: a\n", wantErr: `entry 1 ("a"): role_arn: the role ARN is required`},
		{name: "bad_arn", data: "- name: a\n  role_arn: arn:aws:iam::1:role/x\n", wantErr: "role_arn:"},
		{name: "partition_mismatch", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n  region: cn-north-1\n", wantErr: `region: "cn-north-1" is in partition "aws-cn"`},
		{name: "bad_duration", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n  duration: 1y\n", wantErr: "duration:"},
		{name: "prefix_and_profile", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n  prefix: A_\n  profile: a\n", wantErr: "prefix or profile, not both"},
		{name: "bad_prefix", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n  prefix: A-\n", wantErr: `prefix "A-"`},
		{name: "bad_name", data: "- name: a b\n  role_arn: arn:aws:iam::111111111111:role/x\n", wantErr: `name "a b"`},
		{name: "duplicate_name", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n- name: a\n  role_arn: arn:aws:iam::111111111111:role/y\n", wantErr: `entry 2 ("a"): name "a" is used twice`},
		{name: "duplicate_prefix", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n- name: b\n  role_arn: arn:aws:iam::111111111111:role/y\n  prefix: A_\n", wantErr: `prefix "A_" is used twice`},
		{name: "duplicate_profile", data: "- name: a\n  role_arn: arn:aws:iam::111111111111:role/x\n  profile: p\n- name: b\n  role_arn: arn:aws:iam::111111111111:role/y\n  profile: p\n", wantErr: `profile "p" is used twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse("roles.yml", []byte(tc.data), defaults)
			if tc.wantErr != "" {
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), `invalid --roles file "roles.yml"`) {
					t.Fatalf("err = %v, want a FileError with %q", err, tc.wantErr)
				}
				if !strings.Contains(fe.Hint(), "role_arn:") {
					t.Errorf("hint does not show the file's shape")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTooMany(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range MaxRoles + 1 {
		fmt.Fprintf(&b, "- name: r%d\n  role_arn: arn:aws:iam::111111111111:role/r%d\n", i, i)
	}
	if _, err := Parse("f", []byte(b.String()), defaults); err == nil || !strings.Contains(err.Error(), "at most 100") {
		t.Errorf("err = %v", err)
	}
}

// TestDecodeErrorsInTheFilesWords: the decoder's complaints reach the user
// on one line and without a Go type of ours (an outside review of issue 11
// saw "field colour not found in type rolesfile.entry", and "\n" between
// the problems of a type error).
func TestDecodeErrorsInTheFilesWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, data, want string }{
		{"unknown_keys", "- name: a\n  role_arn: arn:aws:iam::111111111111:role/a\n  colour: red\n  size: 3\n",
			"line 3: field colour not found in a role entry; line 4: field size not found in a role entry"},
		{"string_entry", "- a\n", "line 1: cannot unmarshal !!str `a` into a role entry"},
		{"not_a_list", "x: 1\n", "line 1: cannot unmarshal !!map into a list of roles"},
		{"json_object", `{"name":"a"}`, "line 1: cannot unmarshal !!map into a list of roles"},
		// The second outside review: a second document was dropped, and
		// thousands of unknown keys made one line of 248 KB.
		{"two_documents", "- name: a\n  role_arn: arn:aws:iam::111111111111:role/a\n---\n- name: b\n  role_arn: arn:aws:iam::111111111111:role/b\n",
			"the file holds more than one YAML document or JSON value; put every role in the one list"},
		{"two_json_values", `[{"name":"a","role_arn":"arn:aws:iam::111111111111:role/a"}] [{"name":"b"}]`,
			"the file holds more than one YAML document or JSON value; put every role in the one list"},
		{"trailing_empty_document", "- name: a\n  role_arn: arn:aws:iam::111111111111:role/a\n---\n", ""},
		{"many_unknown_keys", "- name: a\n  k1: 1\n  k2: 2\n  k3: 3\n  k4: 4\n  k5: 5\n  k6: 6\n  k7: 7\n",
			"line 2: field k1 not found in a role entry; line 3: field k2 not found in a role entry; line 4: field k3 not found in a role entry; " +
				"line 5: field k4 not found in a role entry; line 6: field k5 not found in a role entry; and 2 more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("r.yml", []byte(tc.data), Defaults{Region: "us-east-1", Duration: time.Hour})
			var fe *FileError
			if tc.want == "" {
				if err != nil {
					t.Errorf("got %v, want no error", err)
				}
				return
			}
			if !errors.As(err, &fe) || fe.Msg != tc.want {
				t.Errorf("got %v, want the message %q", err, tc.want)
			}
		})
	}
}
