package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Session policy limits of AssumeRoleWithWebIdentity.
const (
	MaxPolicyLength = 2048
	MaxPolicyARNs   = 10
)

// ParsePolicy checks an inline session policy: a JSON object of at most 2048
// characters. STS counts characters after it packs the policy, so compact
// JSON is sent; the returned text is the compacted form.
func ParsePolicy(text string) (string, error) {
	const field = "policy"
	text = strings.TrimSpace(text)
	if text == "" {
		return "", nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return "", fieldErr(field, "the session policy is not a JSON object: %v", err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return "", fieldErr(field, "the session policy is not valid JSON: %v", err)
	}
	if n := len([]rune(b.String())); n > MaxPolicyLength {
		return "", fieldErrNaming(field, func(flag func(string) string) string {
			return fmt.Sprintf("the session policy is %d characters after compaction; STS accepts at most %d (use %s with managed policies instead)", n, MaxPolicyLength, flag("policy-arn"))
		})
	}
	if _, ok := doc["Statement"]; !ok {
		return "", fieldErr(field, "the session policy has no \"Statement\"; want {\"Version\":\"2012-10-17\",\"Statement\":[...]}")
	}
	return b.String(), nil
}

// isPolicyARN reports whether s is a managed policy ARN:
// arn:PARTITION:iam::(aws|ACCOUNT):policy[/PATH]/NAME, the name at most 128
// characters.
func isPolicyARN(s string) bool {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return false
	}
	partition, rest, _ := strings.Cut(rest, ":")
	switch {
	case partition == "aws", partition == "aws-cn", partition == "aws-us-gov", partition == "aws-iso":
	case len(partition) == len("aws-iso-b") && strings.HasPrefix(partition, "aws-iso-") && 'a' <= partition[8] && partition[8] <= 'z':
	default:
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "iam::"); !ok {
		return false
	}
	account, rest, _ := strings.Cut(rest, ":")
	if account != "aws" && !IsAccountID(account) {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "policy/"); !ok {
		return false
	}
	path, name := "", rest
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		path, name = rest[:i], rest[i+1:]
	}
	return len(name) <= 128 && isIAMName(name) && allRunes(path, func(r rune) bool { return r == '/' || iamRune(r) })
}

// ParsePolicyARNs checks managed session policy ARNs; at most 10.
func ParsePolicyARNs(arns []string) ([]string, error) {
	const field = "policy-arn"
	var out []string
	for _, a := range arns {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !isPolicyARN(a) {
			return nil, fieldErr(field, "%q is not a managed policy ARN (arn:aws:iam::aws:policy/NAME or arn:aws:iam::123456789012:policy/NAME)", a)
		}
		out = append(out, a)
	}
	if len(out) > MaxPolicyARNs {
		return nil, fieldErr(field, "%d managed policies given; STS accepts at most %d", len(out), MaxPolicyARNs)
	}
	return out, nil
}
