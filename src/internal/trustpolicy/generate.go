package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Spec says which jobs a generated trust policy lets in.
type Spec struct {
	// Issuer is the GitLab instance URL, https:// and no trailing slash.
	Issuer string
	// Partition and Account locate the IAM OIDC provider.
	Partition string
	Account   string
	// Audience is the aud the job's id_tokens: requests.
	Audience string
	// Projects are project paths (group/project); Groups let every project
	// under them in, subgroups included.
	Projects []string
	Groups   []string
	// Branches and Tags restrict the refs; RefType restricts the kind when
	// no ref is named.
	Branches []string
	Tags     []string
	RefType  string
	// AllowAnyProject accepts a policy without any project or group.
	AllowAnyProject bool
	// Environment and ProtectedOnly ask for what IAM cannot see in a
	// GitLab token (it offers only aud and sub as condition keys):
	// Validate refuses an environment, and protected refs it cannot name.
	Environment   string
	ProtectedOnly bool
}

// Notes are what people must know about the policy of s beyond it, each a
// line to print after "note: ".
func (s Spec) Notes() []string {
	if s.ProtectedOnly {
		return []string{"AWS cannot check ref_protected; this policy allows the refs named, so keep exactly those protected in the project's settings"}
	}
	return nil
}

// AnyProjectError is a policy that would let every project of the instance
// assume the role.
type AnyProjectError struct{ Issuer string }

func (e *AnyProjectError) Error() string {
	return fmt.Sprintf("the policy would trust every project on %s: name --project or --group, or pass --allow-any-project", e.Issuer)
}

// The path rules compile on first use, not at every start-up.
var (
	pathRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + projectPathExpr + `$`) })
	groupRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.\-]*)*$`)
	})
)

// SpecError is an invalid generator input, naming the flag.
type SpecError struct {
	Field string
	Msg   string
}

func (e *SpecError) Error() string { return fmt.Sprintf("invalid --%s: %s", e.Field, e.Msg) }

// Document is a generated trust policy, marshalled in the order IAM shows.
type Document struct {
	Version   string              `json:"Version"`
	Statement []DocumentStatement `json:"Statement"`
}

// DocumentStatement is the one statement of a generated policy.
type DocumentStatement struct {
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal"`
	Action    string                    `json:"Action"`
	Condition map[string]map[string]any `json:"Condition"`
}

// ProviderARN is the IAM OIDC provider the spec's role trusts.
func (s Spec) ProviderARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", s.Partition, s.Account, IssuerHost(s.Issuer))
}

// Subjects are the sub values the policy admits.
func (s Spec) Subjects() []string {
	var projects []string
	for _, p := range s.Projects {
		projects = append(projects, "project_path:"+p)
	}
	for _, g := range s.Groups {
		// The '/' keeps mygroup from also matching mygroup2.
		projects = append(projects, "project_path:"+g+"/*")
	}
	if len(projects) == 0 {
		projects = []string{"project_path:*"}
	}
	var refs []string
	for _, b := range s.Branches {
		refs = append(refs, ":ref_type:branch:ref:"+b)
	}
	for _, t := range s.Tags {
		refs = append(refs, ":ref_type:tag:ref:"+t)
	}
	if len(refs) == 0 {
		if s.RefType != "" {
			refs = []string{":ref_type:" + s.RefType + ":ref:*"}
		} else {
			// ':' before '*' so that a project path cannot be extended
			// (mygroup/app must not admit mygroup/app-other).
			refs = []string{":*"}
		}
	}
	var out []string
	for _, p := range projects {
		for _, r := range refs {
			if strings.HasSuffix(p, "*") && r == ":*" {
				out = append(out, p)
				continue
			}
			out = append(out, p+r)
		}
	}
	return out
}

// Validate checks the spec before anything is generated.
func (s Spec) Validate() error {
	if s.Environment != "" {
		return &SpecError{Field: "environment", Msg: fmt.Sprintf("AWS cannot restrict a role to the environment %q: for GitLab tokens IAM offers only the aud and sub claims as condition keys, and sub holds no environment. Restrict by --branch/--tag (protected ones), or assume a first role and chain to a second with session tags", s.Environment)}
	}
	if s.ProtectedOnly && len(s.Branches) == 0 && len(s.Tags) == 0 {
		return &SpecError{Field: "protected-only", Msg: "AWS cannot see ref_protected (IAM offers only aud and sub for GitLab tokens): name the protected refs with --branch and --tag, and keep them protected in the project's settings"}
	}
	if s.Issuer == "" {
		return &SpecError{Field: "issuer", Msg: "no issuer: give --issuer https://gitlab.example.com (in a job, $CI_SERVER_URL is used)"}
	}
	if msg := issuerProblem(s.Issuer); msg != "" {
		return &SpecError{Field: "issuer", Msg: fmt.Sprintf("%q %s, as in iss (for example https://gitlab.example.com)", redactUserinfo(s.Issuer), msg)}
	}
	if !exchange.IsAccountID(s.Account) {
		return &SpecError{Field: "account", Msg: fmt.Sprintf("%q is not a 12-digit AWS account id", s.Account)}
	}
	if s.Audience == "" {
		return &SpecError{Field: "audience", Msg: "is empty"}
	}
	if len(s.Audience) > 255 || strings.ContainsFunc(s.Audience, notPrintableASCII) {
		return &SpecError{Field: "audience", Msg: fmt.Sprintf("%q is not an audience IAM accepts (1 to 255 printable ASCII characters, no spaces)", s.Audience)}
	}
	for _, p := range s.Projects {
		if !pathRE().MatchString(p) {
			return &SpecError{Field: "project", Msg: fmt.Sprintf("%q is not a project path such as mygroup/myproject", p)}
		}
	}
	for _, g := range s.Groups {
		if !groupRE().MatchString(g) {
			return &SpecError{Field: "group", Msg: fmt.Sprintf("%q is not a group path such as mygroup or mygroup/sub", g)}
		}
	}
	for _, r := range slices.Concat(s.Branches, s.Tags) {
		if r == "" || strings.ContainsAny(r, ": \t\n") || strings.ContainsFunc(r, unicode.IsControl) || strings.HasPrefix(r, "refs/") {
			field := "branch"
			if slices.Contains(s.Tags, r) {
				field = "tag"
			}
			return &SpecError{Field: field, Msg: fmt.Sprintf("%q is not a ref name as GitLab puts it in sub (no refs/heads/ prefix, no ':' or spaces; * and ? are wildcards)", r)}
		}
	}
	if s.RefType != "" && s.RefType != "branch" && s.RefType != "tag" {
		return &SpecError{Field: "ref-type", Msg: fmt.Sprintf("%q is not a ref type (valid: branch, tag)", s.RefType)}
	}
	if s.RefType == "branch" && len(s.Tags) > 0 || s.RefType == "tag" && len(s.Branches) > 0 {
		return &SpecError{Field: "ref-type", Msg: fmt.Sprintf("%q contradicts the --branch/--tag given", s.RefType)}
	}
	if len(s.Projects) == 0 && len(s.Groups) == 0 && !s.AllowAnyProject {
		return &AnyProjectError{Issuer: s.Issuer}
	}
	return nil
}

// issuerProblem says what keeps issuer from being an issuer URL that IAM
// and every generated line can take as it is: https, a host name, no user
// name or password, no query or fragment, no trailing slash, and nothing
// but printable ASCII without spaces and quotes (a newline would start a
// line of its own in the Terraform output).
func issuerProblem(issuer string) string {
	if strings.ContainsFunc(issuer, notPrintableASCII) || strings.ContainsAny(issuer, `"'\<>^{|}`+"`") {
		return "holds spaces, control characters, quotes or other characters no URL has"
	}
	u, err := url.Parse(issuer)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "" || u.Opaque != "":
		return "must be the instance URL with https://"
	case u.User != nil:
		return "holds a user name or password; an issuer URL has none"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#"):
		return "holds a query or a fragment; an issuer URL has none"
	case strings.HasSuffix(issuer, "/"):
		return "must not end in a slash"
	case !hostRE().MatchString(u.Host):
		return "names no valid host"
	case u.Port() != "" && !validPort(u.Port()):
		return "names a port outside 1..65535"
	case strings.Contains(issuer, "%"):
		// %2e%2e would be printed as the ".." it stands for.
		return "holds percent escapes; an issuer URL is written out plainly"
	case slices.ContainsFunc(strings.Split(u.Path, "/"), func(seg string) bool { return seg == "." || seg == ".." }):
		return "holds a . or .. path segment"
	}
	return ""
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

var hostRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)
})

func notPrintableASCII(r rune) bool { return r <= ' ' || r >= 0x7f }

// redactUserinfo cuts a user name and password out of a URL for messages.
func redactUserinfo(raw string) string { return logging.URL(raw) }

// Generate builds the trust policy: StringEquals on aud, and on sub either
// StringEquals (all values exact) or StringLike (any value with a wildcard;
// then all sub values go there, since two operators on one key must both
// hold).
func Generate(s Spec) (*Document, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	host := IssuerHost(s.Issuer)
	subs := s.Subjects()
	subOp := "StringEquals"
	if slices.ContainsFunc(subs, hasWildcard) {
		subOp = "StringLike"
	}
	cond := map[string]map[string]any{
		"StringEquals": {host + ":aud": s.Audience},
	}
	if cond[subOp] == nil {
		cond[subOp] = map[string]any{}
	}
	cond[subOp][host+":sub"] = oneOrMany(subs)
	return &Document{
		Version: "2012-10-17",
		Statement: []DocumentStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Federated": s.ProviderARN()},
			Action:    WebIdentityAction,
			Condition: cond,
		}},
	}, nil
}

func oneOrMany(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// JSON renders the document indented, with a final newline.
func (d *Document) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("failed to encode the policy: %w", err)
	}
	return b.Bytes(), nil
}

// Terraform renders the IAM OIDC provider and the role as Terraform, with
// the policy as a heredoc that refers to the provider resource.
func (d *Document) Terraform(s Spec, roleName string) ([]byte, error) {
	if len(d.Statement) != 1 {
		return nil, errors.New("terraform output needs a one-statement policy")
	}
	policy, err := d.JSON()
	if err != nil {
		return nil, err
	}
	// Terraform interpolates ${ and %{ inside heredocs, and git refs may
	// hold them: escape every one, then put the provider reference in.
	text := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(strings.TrimSuffix(string(policy), "\n"))
	text = strings.Replace(text, fmt.Sprintf("%q", s.ProviderARN()), `"${aws_iam_openid_connect_provider.gitlab.arn}"`, 1)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Generated by aws-oidc trust-policy. IAM OIDC provider for %s and a role its CI jobs can assume.\n", s.Issuer)
	fmt.Fprintf(&b, "# thumbprint_list is left out: AWS checks the issuer's certificate against its own trusted CAs, and\n")
	fmt.Fprintf(&b, "# recent hashicorp/aws releases make it optional (older ones require it).\n")
	fmt.Fprintf(&b, "resource \"aws_iam_openid_connect_provider\" \"gitlab\" {\n")
	fmt.Fprintf(&b, "  url            = %s\n", hclQuote(s.Issuer))
	fmt.Fprintf(&b, "  client_id_list = [%s]\n", hclQuote(s.Audience))
	fmt.Fprintf(&b, "}\n\n")
	fmt.Fprintf(&b, "resource \"aws_iam_role\" \"gitlab_ci\" {\n")
	fmt.Fprintf(&b, "  name               = %s\n", hclQuote(roleName))
	fmt.Fprintf(&b, "  assume_role_policy = <<-EOT\n")
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(&b, "    %s\n", line)
	}
	fmt.Fprintf(&b, "  EOT\n")
	fmt.Fprintf(&b, "}\n")
	return b.Bytes(), nil
}

// hclQuote quotes a string for HCL: Go's quoting, with template sequences
// escaped so Terraform takes them literally.
func hclQuote(v string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(fmt.Sprintf("%q", v))
}
