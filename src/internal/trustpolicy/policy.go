package trustpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// WebIdentityAction is the action a role's trust policy must allow.
const WebIdentityAction = "sts:AssumeRoleWithWebIdentity"

// Policy is an IAM role trust policy, read as far as web identity
// federation depends on it.
type Policy struct {
	Statements []Statement
}

// Statement is one statement of a trust policy.
type Statement struct {
	// Index is the statement's position, from 1, for messages.
	Index  int
	Sid    string
	Effect string
	// Actions are the statement's Action values; NotAction is not read.
	Actions []string
	// Federated are the Principal.Federated values; AnyPrincipal is
	// "Principal": "*".
	Federated    []string
	AnyPrincipal bool
	Conditions   []Condition
}

// Condition is one key of one condition operator: within it the values are
// alternatives, and every Condition of a statement must hold.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Name is how messages name the statement.
func (s Statement) Name() string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (%q)", s.Index, s.Sid)
	}
	return fmt.Sprintf("statement %d", s.Index)
}

// AllowsWebIdentity reports whether the statement is an Allow for
// sts:AssumeRoleWithWebIdentity.
func (s Statement) AllowsWebIdentity() bool {
	return strings.EqualFold(s.Effect, "Allow") && s.coversAction()
}

func (s Statement) coversAction() bool {
	for _, a := range s.Actions {
		if globMatch(strings.ToLower(a), strings.ToLower(WebIdentityAction)) {
			return true
		}
	}
	return false
}

// ParsePolicy reads a trust policy document. It also takes the output of
// `aws iam get-role` (the document under Role.AssumeRolePolicyDocument) and
// the URL-encoded form the IAM API returns, so a user can feed what they
// have at hand.
func ParsePolicy(data []byte) (*Policy, error) {
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("%7B")) || bytes.HasPrefix(data, []byte("%7b")) {
		s, err := url.QueryUnescape(string(data))
		if err != nil {
			return nil, fmt.Errorf("policy is URL-encoded but does not decode: %w", err)
		}
		data = []byte(s)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %w", err)
	}
	if role, ok := doc["Role"]; ok {
		var wrapper struct {
			AssumeRolePolicyDocument json.RawMessage
		}
		if err := json.Unmarshal(role, &wrapper); err != nil || wrapper.AssumeRolePolicyDocument == nil {
			return nil, fmt.Errorf("policy looks like `aws iam get-role` output but has no Role.AssumeRolePolicyDocument")
		}
		return parseDocument(wrapper.AssumeRolePolicyDocument)
	}
	return parseDocument(data)
}

func parseDocument(data json.RawMessage) (*Policy, error) {
	// get-role through some tools gives the document as a JSON string.
	var text string
	if json.Unmarshal(data, &text) == nil {
		return ParsePolicy([]byte(text))
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %w", err)
	}
	if doc.Statement == nil {
		return nil, fmt.Errorf(`policy has no "Statement"`)
	}
	var raws []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(doc.Statement), []byte("[")) {
		if err := json.Unmarshal(doc.Statement, &raws); err != nil {
			return nil, fmt.Errorf(`policy "Statement" is not a list of objects: %w`, err)
		}
	} else {
		raws = []json.RawMessage{doc.Statement}
	}
	p := &Policy{}
	for i, raw := range raws {
		s, err := parseStatement(raw)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		s.Index = i + 1
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var st struct {
		Sid       string
		Effect    string
		Action    json.RawMessage
		Principal json.RawMessage
		Condition map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return Statement{}, fmt.Errorf("not a statement object: %w", err)
	}
	s := Statement{Sid: st.Sid, Effect: st.Effect}
	var err error
	if s.Actions, err = stringList(st.Action); err != nil {
		return Statement{}, fmt.Errorf(`"Action": %w`, err)
	}
	if len(st.Principal) > 0 {
		var star string
		if json.Unmarshal(st.Principal, &star) == nil {
			s.AnyPrincipal = star == "*"
		} else {
			var pr map[string]json.RawMessage
			if err := json.Unmarshal(st.Principal, &pr); err != nil {
				return Statement{}, fmt.Errorf(`"Principal" is neither "*" nor an object`)
			}
			if s.Federated, err = stringList(pr["Federated"]); err != nil {
				return Statement{}, fmt.Errorf(`"Principal.Federated": %w`, err)
			}
		}
	}
	// Map order is random: sort so that messages come out the same every run.
	ops := make([]string, 0, len(st.Condition))
	for op := range st.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(st.Condition[op]))
		for k := range st.Condition[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			values, err := stringList(st.Condition[op][k])
			if err != nil {
				return Statement{}, fmt.Errorf("condition %s %q: %w", op, k, err)
			}
			s.Conditions = append(s.Conditions, Condition{Operator: op, Key: k, Values: values})
		}
	}
	return s, nil
}

// stringList reads a policy value that may be one scalar or a list of them;
// booleans and numbers count as their text, as IAM compares them.
func stringList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("not a list of strings")
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			v, err := scalar(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("not valid JSON")
	}
	switch v.(type) {
	case bool, float64:
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", fmt.Errorf("holds an object or list where a string is expected")
}
