package ci

import (
	"strings"
	"testing"
)

func TestGuardCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		env      map[string]string
		handOffs []HandOff
		held     []string
		prefixed bool
		warnings []string
	}{
		{name: "clean", handOffs: []HandOff{{Region: "us-east-1"}}},
		{name: "static_keys", env: map[string]string{"AWS_ACCESS_KEY_ID": "x", "AWS_SESSION_TOKEN": "y"},
			handOffs: []HandOff{{Region: "us-east-1"}}, held: []string{"AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"}},
		{name: "prefixed", env: map[string]string{"PROD_AWS_SECRET_ACCESS_KEY": "x", "AWS_ACCESS_KEY_ID": "y"},
			handOffs: []HandOff{{Prefix: "PROD_", Region: "us-east-1"}}, held: []string{"PROD_AWS_SECRET_ACCESS_KEY"}, prefixed: true,
			warnings: []string{"AWS_ACCESS_KEY_ID is set in this job's environment: a later job that copies PROD_AWS_ACCESS_KEY_ID"}},
		{name: "region_named_as_given", env: map[string]string{"AWS_REGION": "eu-west-1"}, handOffs: []HandOff{{Region: "us-east-1"}},
			warnings: []string{`AWS_REGION is "eu-west-1" in this job's environment, not "us-east-1" (the region setting): later jobs get "eu-west-1"`}},
		{name: "empty_key", env: map[string]string{"AWS_SESSION_TOKEN": ""}, handOffs: []HandOff{{Region: "us-east-1"}},
			warnings: []string{"AWS_SESSION_TOKEN is set to the empty string"}},
		{name: "empty_key_in_component", env: map[string]string{"AWS_SESSION_TOKEN": "", ComponentEnv: "assume-role"}, handOffs: []HandOff{{Region: "us-east-1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var warnings []string
			g := Guard{
				Getenv:    func(k string) string { return tc.env[k] },
				LookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok },
				Region:    "the region setting",
				Warn:      func(s string) { warnings = append(warnings, s) },
			}
			e := g.Check(tc.handOffs)
			if (e == nil) != (tc.held == nil) || e != nil && (strings.Join(e.Names, ",") != strings.Join(tc.held, ",") || e.Prefixed != tc.prefixed) {
				t.Errorf("held %+v, want %v prefixed %v", e, tc.held, tc.prefixed)
			}
			if len(warnings) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %q lacks %q", warnings[i], w)
				}
			}
		})
	}
}

func TestInheritedErrorNamesSettingsAsGiven(t *testing.T) {
	t.Parallel()
	e := &InheritedError{Names: []string{"AWS_ACCESS_KEY_ID"}}
	if got := e.Fix("P", "another P", "A"); !strings.Contains(got, "; or set P (PROD_ gives") || !strings.HasSuffix(got, "should get those values, set A") {
		t.Errorf("Fix = %q", got)
	}
	e.Prefixed = true
	if got := e.Fix("P", "another P", "A"); !strings.Contains(got, "; or use another P; or,") {
		t.Errorf("Fix = %q", got)
	}
	if got, want := e.Allowed("A"), "AWS_ACCESS_KEY_ID is already set in this job's environment: later jobs get its value, not the new credentials (allowed by A)"; got != want {
		t.Errorf("Allowed = %q, want %q", got, want)
	}
}
