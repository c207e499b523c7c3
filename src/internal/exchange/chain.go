// Role chaining: the AssumeRole hops that follow the web
// identity exchange, signed with the credentials of the hop before, with an
// external id and session tags. GitLab tokens cannot carry AWS's session tag
// claim, so a chained hop is the only way to give a GitLab job
// attribute-based access; the tags can be taken from the token's claims,
// sanitised to AWS's rules. AWS caps chained sessions at one hour: the
// duration is clamped here, and the caller told.

package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// MaxChainDuration is AWS's cap on a session assumed with the credentials of
// another role session ("role chaining").
const MaxChainDuration = time.Hour

// FirstHopDuration is asked for the web identity session of a chain: its
// credentials only sign the next hop, so the shortest session STS grants is
// enough, and it can never exceed the role's MaxSessionDuration.
const FirstHopDuration = MinDuration

// ClampDuration caps d at MaxChainDuration and reports whether it did.
func ClampDuration(d time.Duration) (time.Duration, bool) {
	if d > MaxChainDuration {
		return MaxChainDuration, true
	}
	return d, false
}

// ParseExternalID checks an external id against STS's rules: 2 to 1224
// characters of letters, digits and +=,.@:/-.
func ParseExternalID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || (len(s) >= 2 && len(s) <= 1224 && isExternalID(s)) {
		return s, nil
	}
	return "", &FieldError{Field: "external-id", Msg: fmt.Sprintf("%q must be 2 to 1224 characters of letters, digits and +=,.@:/-", s)}
}

// isExternalID reports whether s has only the characters of an external id:
// IAM's name characters, ':' and '/'.
func isExternalID(s string) bool {
	return s != "" && allRunes(s, func(r rune) bool { return r == ':' || r == '/' || iamRune(r) })
}

// ChainRequest is the chain after the web identity hop.
type ChainRequest struct {
	// Roles are the roles to assume, in order.
	Roles       []ARN
	SessionName string
	ExternalID  string
	// Duration is the final session's, at most MaxChainDuration.
	Duration time.Duration
	// Tags and TransitiveTagKeys go with the first chained hop; transitive
	// tags then pass on to every later hop on their own (AWS refuses a later
	// hop that sets them again).
	Tags              []Tag
	TransitiveTagKeys []string
	// Policy and PolicyARNs limit the final session, the one handed out.
	Policy     string
	PolicyARNs []string
	// SourceIdentity goes with the first chained hop; AWS keeps it for
	// every later hop and call of the session on its own, and shows it in
	// CloudTrail.
	SourceIdentity string
	// Secrets is every secret of the run: each hop's session joins it, so a
	// later hop's server cannot echo an earlier one's into a message.
	Secrets *logging.Secrets
}

// Chain assumes every role of req in order, starting from the web identity
// session first, and returns the final session. Each hop's STS client is
// o's, signed with the credentials of the hop before.
func Chain(ctx context.Context, o ClientOptions, first Result, req ChainRequest, retry Retry, log *slog.Logger) (Result, error) {
	prev := first
	for i, arn := range req.Roles {
		hop := RoleRequest{
			RoleARN:     arn,
			SessionName: req.SessionName,
			ExternalID:  req.ExternalID,
			Duration:    MaxChainDuration,
			Secrets:     req.Secrets,
		}
		if i == 0 {
			hop.Tags, hop.TransitiveTagKeys, hop.SourceIdentity = req.Tags, req.TransitiveTagKeys, req.SourceIdentity
		}
		last := i == len(req.Roles)-1
		if last {
			hop.Duration, hop.Policy, hop.PolicyARNs = req.Duration, req.Policy, req.PolicyARNs
		}
		o.Credentials = &prev.Credentials
		res, err := AssumeRole(ctx, NewClient(o), hop, retry, log)
		if err != nil {
			return Result{}, &HopError{Hop: i + 1, RoleARN: arn, From: prev.AssumedRoleARN, Tags: hop.Tags, ExternalID: hop.ExternalID != "",
				SourceIdentity: hop.SourceIdentity != "", Err: err}
		}
		size := ""
		if res.SessionTokenUtilization >= 0 {
			// Only when the server said: STS-compatible servers may not.
			size = fmt.Sprintf(" (session token at %d%% of STS's size limit)", res.SessionTokenUtilization)
		}
		log.Debug(fmt.Sprintf("chained hop %d: %s%s", i+1, res.AssumedRoleARN, size))
		prev = res
	}
	return prev, nil
}

// HopError is a failed chained hop.
type HopError struct {
	// Hop counts the chained hops from 1.
	Hop     int
	RoleARN ARN
	// From is the session whose credentials signed the request.
	From       string
	Tags       []Tag
	ExternalID bool
	// SourceIdentity is set when the hop sent one.
	SourceIdentity bool
	Err            error
}

func (e *HopError) Error() string {
	return fmt.Sprintf("chained hop %d to %q failed: %v", e.Hop, e.RoleARN, e.Err)
}

func (e *HopError) Unwrap() error { return e.Err }

// Hint says what to change, from STS's error code.
func (e *HopError) Hint() string { return e.HintFor(Flag) }

// HintFor is Hint naming settings by flag (see Flag).
func (e *HopError) HintFor(flag func(name string) string) string {
	x, ok := e.Err.(*Error)
	if !ok {
		return ""
	}
	who := "the previous role's session"
	if e.From != "" {
		who = "the principal " + e.From
	}
	switch {
	case x.Transient():
		// The cli's hint for every STS call that retries could not get
		// through (busy until the deadline, attempts used up) says it.
		return ""
	case x.Code == "PackedPolicyTooLarge":
		return packedPolicyHint(e.Tags, flag)
	case x.Code == "AccessDenied":
		actions := []string{"sts:AssumeRole"}
		if len(e.Tags) > 0 {
			actions = append(actions, "sts:TagSession")
		}
		if e.SourceIdentity {
			actions = append(actions, "sts:SetSourceIdentity")
		}
		need := actions[0]
		if n := len(actions); n > 1 {
			need = strings.Join(actions[:n-1], ", ") + " and " + actions[n-1]
		}
		h := fmt.Sprintf("the trust policy of %s must allow %s (or its role) to call %s, and that role's permissions must allow %s on %s",
			e.RoleARN, who, need, need, e.RoleARN)
		if e.ExternalID {
			h += "; the trust policy's sts:ExternalId condition must equal " + flag("external-id")
		} else {
			h += "; if the trust policy has an sts:ExternalId condition, pass " + flag("external-id")
		}
		if e.SourceIdentity {
			h += "; " + flag("source-identity") + " needs sts:SetSourceIdentity in the trust policy's Action, and an sts:SourceIdentity condition there must match the value sent"
		}
		return h
	case x.Code == "InvalidAction" || x.Code == "NotImplemented" || x.Code == "UnknownOperationException",
		// VersityGW passes actions it does not know to its IAM API, which
		// then refuses an STS signature.
		x.Code == "SignatureDoesNotMatch" && strings.Contains(x.Message, "correct service"):
		return "this STS does not implement AssumeRole (some STS-compatible servers only have AssumeRoleWithWebIdentity): role chaining needs AWS STS or a server that has it; drop " + flag("chain-role-arn")
	case x.Code == "ValidationError" && strings.Contains(strings.ToLower(x.Message), "duration"):
		return "chained sessions last at most one hour and at most the role's MaxSessionDuration: lower " + flag("duration")
	}
	return ""
}

// packedPolicyHint names the tags to drop when the session tags and policies
// do not fit STS's packed size, largest first.
func packedPolicyHint(tags []Tag, flag func(string) string) string {
	if len(tags) == 0 {
		return "the session policy is too large once packed: shorten " + flag("policy") + " or use fewer " + flag("policy-arn")
	}
	sorted := append([]Tag(nil), tags...)
	sortBySize(sorted)
	var names []string
	for _, t := range sorted[:min(len(sorted), 5)] {
		names = append(names, fmt.Sprintf("%s (%d characters)", t.Key, len(t.Key)+len(t.Value)))
	}
	return fmt.Sprintf("the %d session tags and the session policy are too large once packed: drop tags, largest first: %s; "+
		"with %s, pass only the tags your policies read with %s instead", len(tags), strings.Join(names, ", "), flag("tags-from-claims"), flag("tag"))
}

func sortBySize(tags []Tag) {
	size := func(t Tag) int { return len(t.Key) + len(t.Value) }
	for i := 1; i < len(tags); i++ {
		for j := i; j > 0 && size(tags[j]) > size(tags[j-1]); j-- {
			tags[j], tags[j-1] = tags[j-1], tags[j]
		}
	}
}
