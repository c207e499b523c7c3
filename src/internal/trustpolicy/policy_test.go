package trustpolicy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

const (
	host     = "gitlab.example.com"
	issuer   = "https://" + host
	provider = "arn:aws:iam::123456789012:oidc-provider/" + host
	mainSub  = "project_path:mygroup/myproject:ref_type:branch:ref:main"
)

var tokenFacts = Facts{Issuer: issuer, Subject: mainSub, Audience: []string{issuer}}

// policy builds a one-statement trust policy with the given Condition JSON.
func policy(t *testing.T, condition string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":` + condition + `}]}`))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	return p
}

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"project_path:mygroup/*", mainSub, true},
		{"project_path:mygroup/*:ref_type:branch:ref:main", mainSub, true},
		{"project_path:mygroup/*:ref_type:tag:ref:*", mainSub, false},
		{"project_path:mygroup/myproject:ref_type:branch:ref:ma?n", mainSub, true},
		{"project_path:mygroup/myproject:ref_type:branch:ref:ma?", mainSub, false},
		{"project_path:mygroup/myproject:ref_type:branch:ref:m?", mainSub, false},
		{"Project_path:*", mainSub, false},
		{"a*b*c", "abxbc", true},
		{"a*b*c", "abxbd", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestSubjectCanMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		value     string
		like      bool
		canMatch  bool
		anyProjct bool
	}{
		{name: "exact_default_sub", value: mainSub, canMatch: true},
		{name: "exact_tag_sub", value: "project_path:g/p:ref_type:tag:ref:v1.2.3", canMatch: true},
		{name: "custom_components_ref_only", value: "project_path:g/p:ref:main", canMatch: true},
		{name: "custom_components_ref_then_type", value: "project_path:g/p:ref:main:ref_type:branch", canMatch: true},
		{name: "github_sub", value: "repo:octo-org/octo-repo:ref:refs/heads/main", canMatch: false},
		{name: "ref_with_refs_heads", value: "project_path:g/p:ref_type:branch:ref:refs/heads/main", canMatch: true},
		{name: "plural_ref_type", value: "project_path:g/p:ref_type:branches:ref:main", canMatch: false},
		{name: "project_without_group", value: "project_path:myproject:ref_type:branch:ref:main", canMatch: false},
		{name: "exact_value_with_star_is_literal", value: "project_path:g/*:ref_type:branch:ref:main", canMatch: false},
		{name: "group_pattern", value: "project_path:mygroup/*", like: true, canMatch: true},
		{name: "group_pattern_with_branch", value: "project_path:mygroup/*:ref_type:branch:ref:main", like: true, canMatch: true},
		{name: "pattern_with_typo", value: "project_path:mygroup/*:reftype:branch:ref:*", like: true, canMatch: false},
		{name: "github_pattern", value: "repo:octo-org/*", like: true, canMatch: false},
		{name: "every_project", value: "project_path:*", like: true, canMatch: true, anyProjct: true},
		{name: "every_project_on_main", value: "project_path:*:ref_type:branch:ref:main", like: true, canMatch: true, anyProjct: true},
		{name: "bare_star", value: "*", like: true, canMatch: true, anyProjct: true},
		{name: "question_marks", value: "project_path:g/p:ref_type:branch:ref:????", like: true, canMatch: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := SubjectCanMatch(tt.value, tt.like); got != tt.canMatch {
				t.Errorf("SubjectCanMatch(%q, %v) = %v, want %v", tt.value, tt.like, got, tt.canMatch)
			}
			if got := SubjectAdmitsAnyProject(tt.value, tt.like); got != tt.anyProjct {
				t.Errorf("SubjectAdmitsAnyProject(%q) = %v, want %v", tt.value, got, tt.anyProjct)
			}
		})
	}
}

func TestParsePolicyShapes(t *testing.T) {
	t.Parallel()
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":["` + provider + `"]},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"` + host + `:aud":"` + issuer + `"}}}}`
	for name, input := range map[string]string{
		"document":         doc,
		"get_role_output":  `{"Role":{"RoleName":"deploy","AssumeRolePolicyDocument":` + doc + `}}`,
		"url_encoded":      strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", ":", "%3A", "/", "%2F", ",", "%2C", "[", "%5B", "]", "%5D").Replace(doc),
		"document_as_text": `{"Role":{"AssumeRolePolicyDocument":` + quote(doc) + `}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePolicy([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			want := []Statement{{Index: 1, Effect: "Allow", Actions: []string{WebIdentityAction, "sts:TagSession"}, Federated: []string{provider},
				Conditions: []Condition{{Operator: "StringEquals", Key: host + ":aud", Values: []string{issuer}}}}}
			if diff := cmp.Diff(want, p.Statements); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for name, input := range map[string]string{
		"not_json":          "Version: 2012",
		"no_statement":      `{"Version":"2012-10-17"}`,
		"condition_object":  `{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"k":{"a":1}}}}]}`,
		"get_role_no_doc":   `{"Role":{"RoleName":"x"}}`,
		"principal_numeric": `{"Statement":[{"Effect":"Allow","Principal":5}]}`,
	} {
		t.Run("error_"+name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParsePolicy([]byte(input)); err == nil {
				t.Error("ParsePolicy succeeded")
			}
		})
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		condition string
		facts     Facts
		allowed   bool
		want      []string
	}{
		{name: "exact_match", condition: `{"StringEquals":{"` + host + `:sub":"` + mainSub + `","` + host + `:aud":"` + issuer + `"}}`,
			allowed: true, want: []string{"statement 1 allows this token"}},
		{name: "group_pattern_under_stringlike", condition: `{"StringLike":{"` + host + `:sub":"project_path:mygroup/*"}}`, allowed: true},
		{name: "wildcard_under_stringequals", condition: `{"StringEquals":{"` + host + `:sub":"project_path:mygroup/*"}}`,
			want: []string{`StringEquals "gitlab.example.com:sub" is "project_path:mygroup/*" but the token's sub is "` + mainSub + `"`, "compares literally", "would match under StringLike"}},
		{name: "other_project_and_branch", condition: `{"StringEquals":{"` + host + `:sub":"project_path:mygroup/other:ref_type:branch:ref:release"}}`,
			want: []string{`is "project_path:mygroup/other:ref_type:branch:ref:release" but the token's sub is`}},
		{name: "token_for_other_branch", condition: `{"StringEquals":{"` + host + `:sub":"` + mainSub + `"}}`,
			facts: Facts{Issuer: issuer, Subject: "project_path:mygroup/myproject:ref_type:branch:ref:feature", Audience: []string{issuer}},
			want:  []string{`the token's sub is "project_path:mygroup/myproject:ref_type:branch:ref:feature"`}},
		{name: "other_audience", condition: `{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com"}}`,
			want: []string{`"gitlab.example.com:aud" is "sts.amazonaws.com" but the token's aud is "https://gitlab.example.com"`}},
		{name: "wrong_host_key", condition: `{"StringEquals":{"gitlab.com:sub":"` + mainSub + `"}}`,
			want: []string{`AWS names this token's claims "gitlab.example.com:sub", not "gitlab.com:sub"`}},
		{name: "unsupported_claim", condition: `{"StringEquals":{"` + host + `:ref_protected":"true"}}`,
			want: []string{"AWS offers only gitlab.example.com:aud and gitlab.example.com:sub"}},
		{name: "negated_other_project", condition: `{"StringNotLike":{"` + host + `:sub":"project_path:evil/*"}}`, allowed: true},
		{name: "negated_this_project", condition: `{"StringNotLike":{"` + host + `:sub":"project_path:mygroup/*"}}`, want: []string{"excludes the token's sub"}},
		{name: "if_exists_on_absent_key", condition: `{"StringEqualsIfExists":{"` + host + `:ref":"main"}}`, allowed: true},
		{name: "ignore_case", condition: `{"StringEqualsIgnoreCase":{"` + host + `:sub":"` + strings.ToUpper(mainSub) + `"}}`, allowed: true},
		{name: "global_key_not_evaluated", condition: `{"StringEquals":{"` + host + `:sub":"` + mainSub + `"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			allowed: true, want: []string{"not evaluated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.facts
			if f.Issuer == "" {
				f = tokenFacts
			}
			v := policy(t, tt.condition).Evaluate(f)
			if v.Allowed != tt.allowed {
				t.Errorf("Allowed = %v, want %v: %v", v.Allowed, tt.allowed, v.Reasons)
			}
			text := strings.Join(v.Reasons, "\n")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reasons lack %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestEvaluateStatements(t *testing.T) {
	t.Parallel()
	p, err := ParsePolicy([]byte(`{"Statement":[
		{"Sid":"Other","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"},
		{"Sid":"Deny","Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"` + host + `:sub":"*:ref:main"}}},
		{"Sid":"GitLab","Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"` + host + `:sub":"project_path:mygroup/*"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	v := p.Evaluate(tokenFacts)
	if v.Allowed || !strings.Contains(strings.Join(v.Reasons, ";"), `statement 2 ("Deny") denies this token explicitly`) {
		t.Errorf("got %+v", v)
	}
	feature := tokenFacts
	feature.Subject = "project_path:mygroup/myproject:ref_type:branch:ref:feature"
	if v := p.Evaluate(feature); !v.Allowed || v.Reasons[0] != `statement 3 ("GitLab") allows this token` {
		t.Errorf("got %+v", v)
	}
	other := Facts{Issuer: "https://gitlab.other.org", Subject: mainSub}
	if v := p.Evaluate(other); v.Allowed || !strings.Contains(v.Reasons[0], `no statement allows sts:AssumeRoleWithWebIdentity for the provider "gitlab.other.org"`) {
		t.Errorf("got %+v", v)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	good := `{"StringEquals":{"` + host + `:aud":"` + issuer + `","` + host + `:sub":"` + mainSub + `"}}`
	tests := []struct {
		name      string
		condition string
		principal string
		expect    Expect
		want      []string // finding IDs
		text      []string
	}{
		{name: "good", condition: good, expect: Expect{Issuer: issuer, Audience: []string{issuer}}},
		{name: "good_without_token", condition: good},
		{name: "wildcard_under_stringequals", condition: `{"StringEquals":{"` + host + `:aud":"` + issuer + `","` + host + `:sub":"project_path:mygroup/*:ref_type:branch:ref:*"}}`,
			want: []string{"wildcard-under-stringequals"}, text: []string{"use StringLike"}},
		{name: "condition_key_for_another_host", condition: `{"StringEquals":{"gitlab.com:aud":"` + issuer + `","gitlab.com:sub":"` + mainSub + `"}}`,
			expect: Expect{Issuer: issuer}, want: []string{"condition-host", "condition-host", "no-sub", "no-aud"}, text: []string{`use "gitlab.example.com:sub"`}},
		{name: "provider_for_another_host", condition: good, principal: "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
			expect: Expect{Issuer: issuer}, want: []string{"provider-host"}},
		{name: "no_sub", condition: `{"StringEquals":{"` + host + `:aud":"` + issuer + `"}}`, want: []string{"no-sub"}, text: []string{"every project on the instance can assume the role"}},
		{name: "no_conditions", condition: `{}`, want: []string{"no-sub", "no-aud"}},
		{name: "audience_differs_from_token", condition: good, expect: Expect{Issuer: issuer, Audience: []string{"sts.amazonaws.com"}},
			want: []string{"audience"}, text: []string{`the token's aud is "sts.amazonaws.com"`}},
		{name: "sub_that_cannot_match", condition: `{"StringEquals":{"` + host + `:aud":"` + issuer + `","` + host + `:sub":"repo:mygroup/myproject:ref:refs/heads/main"}}`,
			want: []string{"sub-impossible"}, text: []string{"GitHub Actions sub"}},
		{name: "sub_pattern_that_cannot_match", condition: `{"StringLike":{"` + host + `:sub":"project_path:mygroup/*:ref_type:branches:ref:*"},"StringEquals":{"` + host + `:aud":"` + issuer + `"}}`,
			want: []string{"sub-impossible"}},
		{name: "sub_for_every_project", condition: `{"StringLike":{"` + host + `:sub":"project_path:*"},"StringEquals":{"` + host + `:aud":"` + issuer + `"}}`,
			want: []string{"sub-any-project"}},
		{name: "github_sub_for_github_issuer", expect: Expect{Issuer: "https://token.actions.githubusercontent.com"},
			principal: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
			condition: `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`},
		{name: "unsupported_key", condition: `{"StringEquals":{"` + host + `:aud":"` + issuer + `","` + host + `:sub":"` + mainSub + `","` + host + `:environment":"production"}}`,
			want: []string{"unsupported-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := policy(t, tt.condition)
			if tt.principal != "" {
				p.Statements[0].Federated = []string{tt.principal}
			}
			var ids []string
			var text []string
			for _, f := range p.Check(tt.expect) {
				ids = append(ids, f.ID)
				text = append(text, f.Problem+" / "+f.Fix)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("finding IDs (-want +got):\n%s\n%s", diff, strings.Join(text, "\n"))
			}
			for _, w := range tt.text {
				if !strings.Contains(strings.Join(text, "\n"), w) {
					t.Errorf("findings lack %q:\n%s", w, strings.Join(text, "\n"))
				}
			}
		})
	}
}

func TestCheckNoWebIdentityStatement(t *testing.T) {
	t.Parallel()
	p, err := ParsePolicy([]byte(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Check(Expect{})
	if len(got) != 1 || got[0].ID != "no-web-identity" {
		t.Errorf("got %+v", got)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	base := Spec{Issuer: issuer, Partition: "aws", Account: "123456789012", Audience: issuer}
	tests := []struct {
		name string
		spec func(Spec) Spec
	}{
		{name: "one_project_main", spec: func(s Spec) Spec { s.Projects = []string{"mygroup/myproject"}; s.Branches = []string{"main"}; return s }},
		{name: "one_project_any_ref", spec: func(s Spec) Spec { s.Projects = []string{"mygroup/myproject"}; return s }},
		{name: "group_tags", spec: func(s Spec) Spec { s.Groups = []string{"mygroup"}; s.RefType = "tag"; return s }},
		{name: "projects_branches_and_wildcard", spec: func(s Spec) Spec {
			s.Projects = []string{"mygroup/app", "mygroup/infra"}
			s.Branches = []string{"main", "release/*"}
			return s
		}},
		{name: "any_project_allowed", spec: func(s Spec) Spec { s.AllowAnyProject = true; s.Branches = []string{"main"}; return s }},
		{name: "china_partition", spec: func(s Spec) Spec {
			s.Partition = "aws-cn"
			s.Projects = []string{"g/p"}
			s.Tags = []string{"v*"}
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := tt.spec(base)
			doc, err := Generate(spec)
			if err != nil {
				t.Fatal(err)
			}
			out, err := doc.JSON()
			if err != nil {
				t.Fatal(err)
			}
			goldentest.Check(t, "policy_"+tt.name+".golden.json", out)
			// What we generate must pass our own checks and admit the jobs
			// it names.
			p, err := ParsePolicy(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range p.Check(Expect{Issuer: issuer, Audience: []string{issuer}}) {
				if f.Level == Fail && !spec.AllowAnyProject {
					t.Errorf("generated policy fails its own check: %s", f.Problem)
				}
			}
			if len(spec.Projects) > 0 && len(spec.Branches) > 0 {
				sub := Subject(spec.Projects[0], "branch", spec.Branches[0])
				if v := p.Evaluate(Facts{Issuer: issuer, Subject: sub, Audience: []string{issuer}}); !v.Allowed {
					t.Errorf("generated policy refuses %q: %v", sub, v.Reasons)
				}
			}
		})
	}
}

func TestGenerateProjectPrefixIsNotEnough(t *testing.T) {
	t.Parallel()
	doc, err := Generate(Spec{Issuer: issuer, Partition: "aws", Account: "123456789012", Audience: issuer, Projects: []string{"mygroup/app"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := doc.JSON()
	p, _ := ParsePolicy(out)
	if v := p.Evaluate(Facts{Issuer: issuer, Subject: Subject("mygroup/app-other", "branch", "main"), Audience: []string{issuer}}); v.Allowed {
		t.Error("a policy for mygroup/app admits mygroup/app-other")
	}
}

func TestGenerateTerraform(t *testing.T) {
	t.Parallel()
	spec := Spec{Issuer: issuer, Partition: "aws", Account: "123456789012", Audience: issuer, Projects: []string{"mygroup/myproject"}, Branches: []string{"main", "${evil}"}}
	doc, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	out, err := doc.Terraform(spec, "gitlab-ci")
	if err != nil {
		t.Fatal(err)
	}
	goldentest.Check(t, "terraform.golden.tf", out)
}

func TestGenerateRefuses(t *testing.T) {
	t.Parallel()
	base := Spec{Issuer: issuer, Partition: "aws", Account: "123456789012", Audience: issuer, Projects: []string{"g/p"}}
	tests := []struct {
		name  string
		spec  func(Spec) Spec
		field string
	}{
		{name: "every_project", spec: func(s Spec) Spec { s.Projects = nil; return s }, field: "any"},
		{name: "http_issuer", spec: func(s Spec) Spec { s.Issuer = "http://gitlab.example.com"; return s }, field: "issuer"},
		{name: "trailing_slash", spec: func(s Spec) Spec { s.Issuer += "/"; return s }, field: "issuer"},
		{name: "short_account", spec: func(s Spec) Spec { s.Account = "1234"; return s }, field: "account"},
		{name: "project_without_group", spec: func(s Spec) Spec { s.Projects = []string{"myproject"}; return s }, field: "project"},
		{name: "branch_with_refs_heads", spec: func(s Spec) Spec { s.Branches = []string{"refs/heads/main"}; return s }, field: "branch"},
		{name: "tag_with_colon", spec: func(s Spec) Spec { s.Tags = []string{"v1:2"}; return s }, field: "tag"},
		{name: "bad_ref_type", spec: func(s Spec) Spec { s.RefType = "branches"; return s }, field: "ref-type"},
		{name: "ref_type_contradicts", spec: func(s Spec) Spec { s.RefType = "tag"; s.Branches = []string{"main"}; return s }, field: "ref-type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Generate(tt.spec(base))
			var field string
			switch e := err.(type) {
			case *SpecError:
				field = e.Field
			case *AnyProjectError:
				field = "any"
			}
			if field != tt.field {
				t.Errorf("err = %v, want a --%s error", err, tt.field)
			}
		})
	}
}

func TestIssuerHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://gitlab.example.com":                  "gitlab.example.com",
		"https://gitlab.example.com/":                 "gitlab.example.com",
		"https://example.com/gitlab":                  "example.com/gitlab",
		"gitlab.example.com":                          "gitlab.example.com",
		"https://token.actions.githubusercontent.com": "token.actions.githubusercontent.com",
	} {
		if got := IssuerHost(in); got != want {
			t.Errorf("IssuerHost(%q) = %q, want %q", in, got, want)
		}
	}
}
