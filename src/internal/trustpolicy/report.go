package trustpolicy

import (
	"fmt"
	"io"
	"strings"
)

// Report is what `trust-policy --check` found.
type Report struct {
	// Failures counts the findings of level Fail.
	Failures int
	// Refused is set when the job's token does not satisfy the policy.
	Refused bool
}

// Failed says whether the check found anything that fails.
func (r Report) Failed() bool { return r.Failures > 0 || r.Refused }

// WriteReport writes to w every problem Check finds in p against e, each
// with its fix, then, for the job's token (tok; nil when there is none),
// whether p admits it and why. The policy and the token are someone
// else's: w should print each write as one escaped record.
func (p *Policy) WriteReport(w io.Writer, e Expect, tok *Facts) Report {
	var r Report
	findings := p.Check(e)
	for _, f := range findings {
		writeLine(w, f.Level.String(), f.Problem)
		if f.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", f.Fix)
		}
		if f.Level == Fail {
			r.Failures++
		}
	}
	if len(findings) == 0 {
		writeLine(w, "ok", "no problem seen in the policy itself")
	}
	if tok == nil {
		fmt.Fprintln(w, "      (no token: pass one with --token-env or --token-file to check it against the policy)")
		return r
	}
	v := p.Evaluate(Facts{Issuer: tok.Issuer, Subject: tok.Subject, Audience: tok.Audience})
	status := "ok"
	if !v.Allowed {
		status, r.Refused = "fail", true
	}
	writeLine(w, status, fmt.Sprintf("this token (sub %q, aud %s): %s", tok.Subject, quoteJoin(tok.Audience), map[bool]string{true: "allowed", false: "refused"}[v.Allowed]))
	for _, reason := range v.Reasons {
		fmt.Fprintf(w, "      %s\n", reason)
	}
	return r
}

func writeLine(w io.Writer, status, text string) {
	fmt.Fprintf(w, "%-5s %s\n", status, text)
}

// quoteJoin quotes each value and joins them with ", ": "" for none, where
// Quoted says "(none)".
func quoteJoin(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
