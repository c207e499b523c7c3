package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// ClaimsView is what `aws-oidc claims` shows: the claims a trust policy
// matches and the conditions to write for them. It holds safe claims only,
// by construction: never the token or its signature.
type ClaimsView struct {
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

// Claims is the view of tok at now; wantAud, when set, is the audience the
// job asked to check (--audience).
func Claims(tok *token.Token, wantAud string, now time.Time) ClaimsView {
	c := tok.Claims
	host := trustpolicy.IssuerHost(c.Issuer)
	v := ClaimsView{
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

// WriteJSON writes the view as indented JSON, each line a record of w.
func (v ClaimsView) WriteJSON(w *logging.Writer) error {
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

// WriteText writes the claims, then the trust policy's principal, action
// and conditions for them. Every claim value is escaped (logging.Line) or
// quoted (%q), so that every newline in the text is its own.
func (v ClaimsView) WriteText(w *logging.Writer) error {
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
