package schema

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// samples are realistic input sets for each component: the smallest
// include, and one that sets every input. A new template needs an entry.
var samples = map[string][]struct {
	name   string
	inputs map[string]any
}{
	"assume-role": {
		{
			name:   "required_only",
			inputs: map[string]any{"role_arn": "arn:aws:iam::123456789012:role/deploy"},
		},
		{
			name: "values_from_ci_variables",
			inputs: map[string]any{
				"role_arn":         "$DEPLOY_ROLE_ARN",
				"region":           "${AWS_REGION}",
				"session_name":     "$SESSION",
				"policy_arns":      "$POLICY_ARNS",
				"allowed_accounts": "$PROD_ACCOUNTS",
				"check_s3":         "${DEPLOY_BUCKET}",
			},
		},
		{
			name: "every_input",
			inputs: map[string]any{
				"role_arn":                   "arn:aws-us-gov:iam::123456789012:role/team/deploy-prod",
				"audience":                   "https://gitlab.example.com",
				"region":                     "us-gov-west-1",
				"duration":                   900,
				"session_name":               "deploy@prod-$CI_PIPELINE_ID",
				"policy":                     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid}/*"}]}`,
				"policy_arns":                "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::123456789012:policy/deploy",
				"variable_prefix":            "PROD_",
				"dotenv_file":                "out/prod.env",
				"job_name":                   "assume prod",
				"stage":                      "deploy",
				"rules":                      []any{map[string]any{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}, map[string]any{"when": "never"}},
				"needs":                      []any{"build", map[string]any{"job": "plan", "artifacts": false}},
				"image":                      "registry.example.com/mirror/aws-oidc:1.0.0",
				"artifacts_access":           "developer",
				"artifacts_expire_in":        "15 mins",
				"verify":                     true,
				"allowed_accounts":           "123456789012,210987654321",
				"check_s3":                   "s3://my-bucket/deploy/",
				"allow_failure":              true,
				"allow_existing_credentials": true,
				"inherit_default":            []any{"tags", "retry", "interruptible", "timeout", "before_script"},
			},
		},
	},
	"credentials": {
		{name: "defaults", inputs: map[string]any{}},
		{name: "audience", inputs: map[string]any{"audience": "sts.amazonaws.com"}},
	},
}

// component is what GitLab fills in for spec:component when the component
// is included at a commit.
var component = map[string]string{
	"name":      "assume-role",
	"sha":       "0123456789abcdef0123456789abcdef01234567",
	"version":   "",
	"reference": "0123456789abcdef0123456789abcdef01234567",
}

// portableRegex finds what RE2 (GitLab checks inputs with it) accepts and
// JavaScript's RegExp (gitlab-ci-local's) refuses or reads otherwise: flag
// groups such as (?s:...), \A, \z, \Q...\E and Unicode classes.
var portableRegex = regexp.MustCompile(`\(\?[a-zA-Z]|\\[AzQEpP]`)

// globalKeywords must never appear in a template: they would change every
// job of the including pipeline (REFERENCE.md §5).
var globalKeywords = []string{"default", "include", "stages", "variables", "workflow",
	"image", "services", "cache", "before_script", "after_script"}

func templatePaths(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	paths, _ := filepath.Glob(filepath.Join(root, "templates", "*.yml"))
	dirs, _ := filepath.Glob(filepath.Join(root, "templates", "*", "template.yml"))
	paths = append(paths, dirs...)
	if len(paths) == 0 {
		t.Fatalf("no component templates under %s", filepath.Join(root, "templates"))
	}
	return paths
}

func componentName(path string) string {
	if filepath.Base(path) == "template.yml" {
		return filepath.Base(filepath.Dir(path))
	}
	return strings.TrimSuffix(filepath.Base(path), ".yml")
}

func TestTemplates(t *testing.T) {
	t.Parallel()

	for _, path := range templatePaths(t) {
		name := componentName(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tpl := loadTemplate(t, path)

			// The spec document alone is a valid CI file header.
			if err := validateNode(t, tpl.Header); err != nil {
				t.Fatalf("spec header is not valid for GitLab: %v", err)
			}
			for _, in := range tpl.Inputs {
				if strings.TrimSpace(in.Description) == "" {
					t.Errorf("input %q has no description", in.Name)
				}
				if bad := portableRegex.FindString(in.Regex); bad != "" {
					t.Errorf("input %q: regex uses %q, which RE2 (GitLab) knows but JavaScript (gitlab-ci-local, the component tests) does not", in.Name, bad)
				}
			}

			cases, ok := samples[name]
			if !ok || len(cases) == 0 {
				t.Fatalf("no sample inputs for component %q: add them to samples", name)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					values, err := tpl.resolve(tc.inputs)
					if err != nil {
						t.Fatalf("GitLab would refuse these inputs: %v", err)
					}
					body, err := tpl.interpolate(values, component)
					if err != nil {
						t.Fatalf("failed to interpolate: %v", err)
					}
					for i := 0; i+1 < len(body.Content[0].Content); i += 2 {
						key := body.Content[0].Content[i].Value
						for _, g := range globalKeywords {
							if key == g {
								t.Errorf("template defines the global keyword %q", key)
							}
						}
					}
					if err := validateNode(t, body); err != nil {
						t.Fatalf("interpolated jobs are not valid for GitLab: %v", err)
					}
					for _, msg := range variableTypeErrors(body) {
						t.Error(msg)
					}
				})
			}
		})
	}
}

// TestAssumeRoleRefusesBadInputs checks that the spec's regexes and options
// stop, before any job runs, the values the tool would refuse later.
func TestAssumeRoleRefusesBadInputs(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t, filepath.Join(repoRoot(t), "templates", "assume-role.yml"))

	const role = "arn:aws:iam::123456789012:role/deploy"
	cases := []struct {
		name   string
		inputs map[string]any
	}{
		{name: "role_arn_missing", inputs: map[string]any{}},
		{name: "role_arn_user_not_role", inputs: map[string]any{"role_arn": "arn:aws:iam::123456789012:user/deploy"}},
		{name: "role_arn_short_account", inputs: map[string]any{"role_arn": "arn:aws:iam::12345678901:role/deploy"}},
		{name: "role_arn_unknown_partition", inputs: map[string]any{"role_arn": "arn:azure:iam::123456789012:role/deploy"}},
		{name: "role_arn_trailing_newline", inputs: map[string]any{"role_arn": role + "\n"}},
		{name: "role_arn_shell_text", inputs: map[string]any{"role_arn": role + "; rm -rf /"}},
		{name: "duration_as_text", inputs: map[string]any{"role_arn": role, "duration": "1h"}},
		{name: "region_made_up", inputs: map[string]any{"role_arn": role, "region": "moon"}},
		{name: "session_name_too_long", inputs: map[string]any{"role_arn": role, "session_name": strings.Repeat("a", 129)}},
		{name: "session_name_space", inputs: map[string]any{"role_arn": role, "session_name": "my session"}},
		{name: "session_name_command", inputs: map[string]any{"role_arn": role, "session_name": "$(id)"}},
		{name: "policy_arns_not_arns", inputs: map[string]any{"role_arn": role, "policy_arns": "ReadOnlyAccess"}},
		{name: "prefix_leading_digit", inputs: map[string]any{"role_arn": role, "variable_prefix": "1PROD_"}},
		{name: "prefix_dollar", inputs: map[string]any{"role_arn": role, "variable_prefix": "$X"}},
		{name: "dotenv_absolute", inputs: map[string]any{"role_arn": role, "dotenv_file": "/etc/aws.env"}},
		{name: "dotenv_space", inputs: map[string]any{"role_arn": role, "dotenv_file": "my aws.env"}},
		{name: "dotenv_parent", inputs: map[string]any{"role_arn": role, "dotenv_file": "../aws.env"}},
		{name: "dotenv_parent_inside", inputs: map[string]any{"role_arn": role, "dotenv_file": "ci/../../aws.env"}},
		{name: "dotenv_dot", inputs: map[string]any{"role_arn": role, "dotenv_file": "./aws.env"}},
		{name: "dotenv_folder_only", inputs: map[string]any{"role_arn": role, "dotenv_file": "ci/.."}},
		{name: "job_name_hidden", inputs: map[string]any{"role_arn": role, "job_name": ".assume"}},
		{name: "access_unknown", inputs: map[string]any{"role_arn": role, "artifacts_access": "public"}},
		{name: "expire_never", inputs: map[string]any{"role_arn": role, "artifacts_expire_in": "never"}},
		{name: "allowed_accounts_short", inputs: map[string]any{"role_arn": role, "allowed_accounts": "12345"}},
		{name: "allowed_accounts_spaces", inputs: map[string]any{"role_arn": role, "allowed_accounts": "123456789012, 210987654321"}},
		{name: "check_s3_not_s3_url", inputs: map[string]any{"role_arn": role, "check_s3": "https://my-bucket.s3.amazonaws.com"}},
		{name: "check_s3_command", inputs: map[string]any{"role_arn": role, "check_s3": "s3://b; id"}},
		{name: "verify_as_text", inputs: map[string]any{"role_arn": role, "verify": "yes"}},
		{name: "rules_not_array", inputs: map[string]any{"role_arn": role, "rules": "always"}},
		{name: "unknown_input", inputs: map[string]any{"role_arn": role, "role": role}},
		{name: "policy_not_json", inputs: map[string]any{"role_arn": role, "policy": "ReadOnlyAccess"}},
		{name: "policy_arn_as_policy", inputs: map[string]any{"role_arn": role, "policy": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		{name: "policy_variable", inputs: map[string]any{"role_arn": role, "policy": "$SESSION_POLICY"}},
		{name: "audience_empty", inputs: map[string]any{"role_arn": role, "audience": ""}},
		{name: "audience_space", inputs: map[string]any{"role_arn": role, "audience": "https://gitlab.example.com sts"}},
		{name: "stage_empty", inputs: map[string]any{"role_arn": role, "stage": ""}},
		{name: "image_empty", inputs: map[string]any{"role_arn": role, "image": ""}},
		{name: "image_space", inputs: map[string]any{"role_arn": role, "image": "alpine; id"}},
		{name: "allow_existing_as_text", inputs: map[string]any{"role_arn": role, "allow_existing_credentials": "yes"}},
		{name: "inherit_default_not_array", inputs: map[string]any{"role_arn": role, "inherit_default": "tags"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tpl.resolve(tc.inputs); err == nil {
				t.Errorf("inputs %v were accepted", tc.inputs)
			}
		})
	}
}

// TestPipelines validates the project's own pipeline and the component's
// test pipelines as they are.
func TestPipelines(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	paths := []string{filepath.Join(root, ".gitlab-ci.yml")}
	tests, _ := filepath.Glob(filepath.Join(root, "tests", "component", "*.yml"))
	paths = append(paths, tests...)

	for _, path := range paths {
		rel, _ := filepath.Rel(root, path)
		t.Run(strings.ReplaceAll(rel, "/", "_"), func(t *testing.T) {
			t.Parallel()
			if err := validateFile(t, path); err != nil {
				t.Fatalf("%s is not valid for GitLab: %v", rel, err)
			}
		})
	}
}

// TestSchemaRefusesMistakes proves the validator bites: each document here
// is a mistake GitLab refuses, and the schema must refuse it too.
func TestSchemaRefusesMistakes(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		yaml string
	}{
		{name: "when_unknown", yaml: "job:\n  script: [x]\n  when: sometimes\n"},
		{name: "job_named_like_global_image", yaml: "image:\n  script: [x]\n"},
		{name: "artifacts_access_unknown", yaml: "job:\n  script: [x]\n  artifacts:\n    access: public\n"},
		{name: "id_token_without_aud", yaml: "job:\n  script: [x]\n  id_tokens:\n    T: {}\n"},
		{name: "spec_unknown_key", yaml: "spec:\n  input: {}\n"},
		{name: "spec_component_unknown_field", yaml: "spec:\n  component: [tag]\n"},
		{name: "dotenv_as_list_of_maps", yaml: "job:\n  script: [x]\n  artifacts:\n    reports:\n      dotenv: [{a: b}]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.yaml), &doc); err != nil {
				t.Fatalf("bad test YAML: %v", err)
			}
			if err := validateNode(t, &doc); err == nil {
				t.Errorf("schema accepted:\n%s", tc.yaml)
			}
		})
	}
}

// TestAssumeRoleInheritsOnlyWhatWorks: GitLab copies a consumer's default:
// keywords into every job that does not set them. The component's job keeps
// exactly runner selection and job control, and sets the rest itself.
func TestAssumeRoleInheritsOnlyWhatWorks(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t, filepath.Join(repoRoot(t), "templates", "assume-role.yml"))
	values, err := tpl.resolve(map[string]any{"role_arn": "arn:aws:iam::123456789012:role/deploy"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := tpl.interpolate(values, component)
	if err != nil {
		t.Fatal(err)
	}
	var jobs map[string]struct {
		Inherit struct {
			Default any `yaml:"default"`
		} `yaml:"inherit"`
		Image     any `yaml:"image"`
		IDTokens  any `yaml:"id_tokens"`
		Artifacts any `yaml:"artifacts"`
	}
	if err := body.Decode(&jobs); err != nil {
		t.Fatal(err)
	}
	job, ok := jobs["assume-role"]
	if !ok {
		t.Fatal("no job assume-role")
	}
	want := []any{"tags", "retry", "interruptible", "timeout"}
	if diff := cmp.Diff(want, job.Inherit.Default); diff != "" {
		t.Errorf("inherit:default (-want +got):\n%s", diff)
	}
	// What inherit:default cannot stop must be set by the job itself.
	if job.Image == nil || job.IDTokens == nil || job.Artifacts == nil {
		t.Errorf("the job must set image, id_tokens and artifacts itself")
	}
}

// variableTypeErrors applies GitLab's rule for a variable's value, which the
// CI JSON schema and gitlab-ci-local do not: a string or an integer
// (Entry::Variable, AlphanumericValidator), else "variable definition must
// be either a string or a hash". A value that is exactly one
// $[[ inputs.x ]] of a boolean or number input keeps that type when GitLab
// interpolates it (MR !144065), so a template passing `verify: true` that
// way breaks every pipeline that includes it. Integers are refused here too:
// a number input may be 1.5.
func variableTypeErrors(body *yaml.Node) []string {
	var errs []string
	jobs := body.Content[0]
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		job := jobs.Content[i+1]
		if job.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(job.Content); j += 2 {
			if job.Content[j].Value != "variables" {
				continue
			}
			vars := job.Content[j+1]
			for k := 0; k+1 < len(vars.Content); k += 2 {
				name, v := vars.Content[k].Value, vars.Content[k+1]
				if v.Kind == yaml.MappingNode {
					for m := 0; m+1 < len(v.Content); m += 2 {
						if v.Content[m].Value == "value" {
							v = v.Content[m+1]
						}
					}
				}
				if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
					errs = append(errs, fmt.Sprintf("job %s: variable %s is %s %q after interpolation, not a string: GitLab refuses it",
						jobs.Content[i].Value, name, v.Tag, v.Value))
				}
			}
		}
	}
	return errs
}

// TestJobNameRegex: job_name takes what a job name may be, but not one of
// GitLab's global keywords, which would make the job that keyword's section
// (the CI schema does not even refuse `cache:` with job keys) or pages.
// RE2 has no lookahead, so the regex spells out every other name: this
// checks it against the rule it stands for, on the words, their prefixes,
// extensions and one-character changes, and on random names.
func TestJobNameRegex(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t, filepath.Join(repoRoot(t), "templates", "assume-role.yml"))
	in, _ := tpl.input("job_name")
	re := regexp.MustCompile(in.Regex)
	base := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _:/.-]{0,254}$`)
	reserved := []string{"default", "include", "before_script", "after_script", "image", "services",
		"variables", "stages", "cache", "workflow", "pages"}
	want := func(name string) bool { return base.MatchString(name) && !slices.Contains(reserved, name) }
	const alphabet = "abcdefghijklmnopqrstuvwxyz_ABCZ09 :/.-"
	// Names up to GitLab's 255 characters; beyond, the regex is looser
	// where a name mixes cases (an exact bound would double its size), and
	// GitLab refuses the name when it creates the pipeline.
	names := []string{"assume-role", "deploy", "Default", "default ", "a", "_", "pages:prod", strings.Repeat("a", 255), "B" + strings.Repeat("a", 254)}
	for _, w := range reserved {
		names = append(names, w, w+"s", w+"_", w+"-x", w+"1", "x"+w)
		for i := range w {
			names = append(names, w[:i])
			for _, c := range alphabet {
				names = append(names, w[:i]+string(c)+w[i+1:])
			}
		}
	}
	rnd := rand.New(rand.NewPCG(10, 11))
	for range 20000 {
		b := make([]byte, 1+rnd.IntN(16))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		names = append(names, string(b))
	}
	for _, name := range names {
		if got := re.MatchString(name); got != want(name) {
			t.Errorf("job_name %q: regex says %v, want %v", name, got, want(name))
		}
	}
}
