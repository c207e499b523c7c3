package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// tokenFlags are the token flags of `assume`, shared by the diagnosis
// commands so that they find the same token the same way. The specs are
// looked up by name in assumeFlags: one declaration, one meaning.
func tokenFlags(names ...string) []flagSpec {
	var out []flagSpec
	for _, s := range assumeFlags {
		if slices.Contains(names, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// withUsage returns specs with the usage of one flag replaced, for a flag
// whose name and variables are shared but whose role differs (doctor's
// --role-arn is optional).
func withUsage(specs []flagSpec, name, usage string) []flagSpec {
	out := slices.Clone(specs)
	for i := range out {
		if out[i].Name == name {
			out[i].Usage = usage
		}
	}
	return out
}

// defaultRegion is the region of a command that names no role: the
// commercial partition's audience.
const defaultRegion = "us-east-1"

func claimsFlags() []flagSpec {
	return append(tokenFlags("token-env", "token-file", "audience"),
		flagSpec{Name: "format", Envs: []string{"AWS_OIDC_FORMAT"}, Usage: "output format: text or json", Default: "text"},
	)
}

func claimsCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "claims",
		Usage: "show the token's claims that a trust policy matches, and the conditions to write",
		Description: "Decodes the job's ID token without verifying it (same token flags as assume) and prints iss, aud, " +
			"sub, project_path, namespace_path, ref, ref_type, ref_protected, environment and exp, then the exact " +
			"condition keys and values an IAM trust policy must use for this job. Never the token or its signature.\n\n" +
			"Exit codes: 0 shown, 2 invalid flags, 3 no token or not a JWT.",
		Flags:        flags(claimsFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return &InputError{Command: "claims", Msg: err.Error()} },
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &InputError{Command: "claims", Msg: fmt.Sprintf("unexpected argument %q: claims takes flags only", logging.URL(c.Args().First()))}
			}
			l := newLookup(c, env.Getenv, claimsFlags())
			format, from := l.String("format")
			if format != "text" && format != "json" {
				return &InputError{Command: "claims", Field: "format", From: from, Msg: fmt.Sprintf("unknown format %q (from %s; valid: text, json)", format, from)}
			}
			tok, pick, err := readToken(c.Context, l, env, defaultRegion)
			if err != nil {
				return commandError("claims", err)
			}
			view := newClaimsView(tok, pick.Audience, env.Now())
			// The claims are the token's, which anyone can forge: they are
			// printed through the scrubbing, escaping writer, line by line.
			out := env.diag(env.Stdout).(*logging.Writer)
			if format == "json" {
				return view.writeJSON(out)
			}
			return view.writeText(out)
		},
	}
}

// claimsView is what `claims` shows: safe claims only, by construction.
type claimsView struct {
	Issuer        string            `json:"iss"`
	Audience      []string          `json:"aud"`
	Subject       string            `json:"sub"`
	ProjectPath   string            `json:"project_path,omitempty"`
	NamespacePath string            `json:"namespace_path,omitempty"`
	Ref           string            `json:"ref,omitempty"`
	RefType       string            `json:"ref_type,omitempty"`
	RefProtected  string            `json:"ref_protected,omitempty"`
	Environment   string            `json:"environment,omitempty"`
	Repository    string            `json:"repository,omitempty"`
	Expires       string            `json:"exp"`
	ExpiresIn     int64             `json:"expires_in_seconds"`
	Expired       bool              `json:"expired"`
	Alg           string            `json:"alg"`
	Kid           string            `json:"kid,omitempty"`
	Provider      string            `json:"provider_url"`
	Conditions    map[string]string `json:"conditions"`
	// AudienceOK is set when --audience was given.
	AudienceOK *bool `json:"audience_matches,omitempty"`
	want       string
	left       time.Duration
}

func newClaimsView(tok *token.Token, wantAud string, now time.Time) claimsView {
	c := tok.Claims
	host := trustpolicy.IssuerHost(c.Issuer)
	v := claimsView{
		Issuer: c.Issuer, Audience: c.Audience, Subject: c.Subject,
		ProjectPath: c.ProjectPath, NamespacePath: c.NamespacePath,
		Ref: c.Ref, RefType: c.RefType, RefProtected: c.RefProtected, Environment: c.Environment,
		Repository: c.Repository,
		Expires:    c.ExpiresAt.UTC().Format(time.RFC3339),
		Alg:        tok.Header.Alg, Kid: tok.Header.Kid,
		Provider:   "https://" + host,
		Conditions: map[string]string{},
		want:       wantAud,
		left:       c.ExpiresAt.Sub(now),
	}
	v.ExpiresIn = int64(v.left / time.Second)
	v.Expired = v.left <= 0
	if c.Subject != "" {
		v.Conditions[host+":sub"] = c.Subject
	}
	if len(c.Audience) > 0 {
		v.Conditions[host+":aud"] = c.Audience[0]
	}
	if wantAud != "" {
		ok := slices.Contains(c.Audience, wantAud)
		v.AudienceOK = &ok
	}
	if v.Audience == nil {
		v.Audience = []string{}
	}
	return v
}

func (v claimsView) writeJSON(w *logging.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	// The encoder escapes control characters in strings: every newline is
	// its own.
	return w.WriteLines(b.String())
}

// writeText builds the text with every claim value escaped (logging.Line) or
// quoted (%q), so that every newline in it is its own.
func (v claimsView) writeText(w *logging.Writer) error {
	var b strings.Builder
	row := func(k, val string) {
		if val == "" {
			val = "(not set)"
		}
		fmt.Fprintf(&b, "%-15s %s\n", k, logging.Line(val))
	}
	row("iss", v.Issuer)
	row("aud", strings.Join(v.Audience, ", "))
	row("sub", v.Subject)
	if v.Repository == "" {
		row("project_path", v.ProjectPath)
		row("namespace_path", v.NamespacePath)
	} else {
		row("repository", v.Repository)
	}
	row("ref", v.Ref)
	row("ref_type", v.RefType)
	row("ref_protected", v.RefProtected)
	row("environment", v.Environment)
	if v.Expired {
		row("exp", fmt.Sprintf("%s (expired %s ago)", v.Expires, (-v.left).Round(time.Second)))
	} else {
		row("exp", fmt.Sprintf("%s (%s left)", v.Expires, v.left.Round(time.Second)))
	}
	if v.AudienceOK != nil {
		if *v.AudienceOK {
			row("audience", fmt.Sprintf("contains %q", v.want))
		} else {
			row("audience", fmt.Sprintf("does NOT contain %q (--audience)", v.want))
		}
	}

	host := trustpolicy.IssuerHost(v.Issuer)
	b.WriteString("\nAn IAM role trust policy lets this job in with:\n")
	fmt.Fprintf(&b, "  Principal  {\"Federated\": \"arn:aws:iam::<account>:oidc-provider/%s\"}\n", host)
	fmt.Fprintf(&b, "  Action     %q\n", trustpolicy.WebIdentityAction)
	b.WriteString("  Condition  \"StringEquals\": {\n")
	keys := make([]string, 0, len(v.Conditions))
	for k := range v.Conditions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		sep := ","
		if i == len(keys)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %q: %q%s\n", k, v.Conditions[k], sep)
	}
	b.WriteString("  }\n")
	fmt.Fprintf(&b, "The IAM OIDC provider's URL must be %q, with %s among its audiences.\n", v.Provider, quoteFirst(v.Audience))
	if v.ProjectPath != "" && v.Repository == "" {
		b.WriteString("Wider patterns need \"StringLike\" (never StringEquals, which compares * literally):\n")
		fmt.Fprintf(&b, "  every ref of this project         %q\n", "project_path:"+v.ProjectPath+":*")
		if v.RefType != "" && v.Ref != "" {
			fmt.Fprintf(&b, "  this ref, any project of group    %q\n", "project_path:"+v.NamespacePath+"/*:ref_type:"+v.RefType+":ref:"+v.Ref)
		}
		if v.NamespacePath != "" {
			fmt.Fprintf(&b, "  every project of the group        %q\n", "project_path:"+v.NamespacePath+"/*")
		}
	} else {
		b.WriteString("A value with a wildcard (*) needs StringLike instead of StringEquals.\n")
	}
	return w.WriteLines(b.String())
}

func quoteFirst(v []string) string {
	if len(v) == 0 {
		return "the token's audience"
	}
	return fmt.Sprintf("%q", v[0])
}

// commandError points the hint of an input error at the command's own
// --help, not assume's; the role flags keep assume's hints, which say what
// a valid value looks like.
func commandError(command string, err error) error {
	var (
		in    *InputError
		field *exchange.FieldError
	)
	switch {
	case errors.As(err, &in):
		if in.Fix == "" && in.Field != "role-arn" && in.Field != "region" {
			in.Command = command
		}
		return in
	case errors.As(err, &field) && field.Field != "role-arn" && field.Field != "region":
		return &InputError{Command: command, Field: field.Field, Msg: field.Msg}
	}
	return err
}
