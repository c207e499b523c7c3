package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var partNames = [3]string{"header", "payload", "signature"}

// maxUnixSeconds is 9999-12-31T23:59:59Z: a later "exp" is a bug, and would
// overflow time arithmetic.
const maxUnixSeconds = 253402300799

// Parse decodes a compact JWS without verifying its signature. It accepts
// exactly what a signed JWT may look like: three unpadded base64url parts,
// a header and a payload that are JSON objects, an asymmetric "alg", a
// string "iss" and a numeric "exp". One trailing newline (or CRLF) is
// dropped, because token files and here-documents usually end with one.
//
// Every failure is a *MalformedError.
func Parse(raw string) (*Token, error) {
	raw = trimNewline(raw)
	if err := checkText(raw); err != nil {
		return nil, err
	}

	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		noun := "parts"
		if len(parts) == 1 {
			noun = "part"
		}
		reason := fmt.Sprintf("token has %d %s separated by dots, want 3 (header.payload.signature)", len(parts), noun)
		if len(parts) == 5 {
			reason = "token has 5 parts separated by dots, like an encrypted token (JWE): STS needs a signed JWT with 3"
		}
		return nil, &MalformedError{Reason: reason}
	}

	// The signature is decoded too, only to reject what STS could not decode
	// either; it is never checked against a key.
	var decoded [3][]byte
	for i, part := range parts {
		if part == "" {
			reason := fmt.Sprintf("%s (part %d) is empty", partNames[i], i+1)
			if i == 2 {
				reason = "signature (part 3) is empty: the token is unsigned, and STS only accepts signed tokens"
			}
			return nil, &MalformedError{Part: partNames[i], Reason: reason}
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(part)
		if err != nil {
			// The decoder's error names an offset only, but say it in our own
			// words so that no library ever gets to quote the input.
			return nil, &MalformedError{Part: partNames[i], Reason: fmt.Sprintf("%s (part %d) is not valid base64url", partNames[i], i+1)}
		}
		decoded[i] = b
	}

	header, err := parseHeader(decoded[0])
	if err != nil {
		return nil, err
	}
	claims, err := parseClaims(decoded[1])
	if err != nil {
		return nil, err
	}
	return &Token{Header: header, Claims: claims, raw: raw}, nil
}

func trimNewline(s string) string {
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t
	}
	return strings.TrimSuffix(s, "\n")
}

// checkText rejects what cannot be a compact JWS before splitting it, with a
// message that says what is wrong and where, but never shows the token.
func checkText(raw string) error {
	if raw == "" {
		return &MalformedError{Reason: "token is empty"}
	}
	if strings.HasPrefix(raw, "Bearer ") || strings.HasPrefix(raw, "bearer ") {
		return &MalformedError{Reason: `starts with "Bearer ": give the token alone, without the authorization scheme`}
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if isBase64URL(c) || c == '.' {
			continue
		}
		what, why := describeByte(c)
		return &MalformedError{Reason: fmt.Sprintf("token contains %s at character %d%s", what, i+1, why)}
	}
	// Only ASCII is left, so bytes and characters count the same, as STS
	// counts them.
	if len(raw) < MinSize {
		return &MalformedError{Reason: fmt.Sprintf("token is %d characters long, STS needs at least %d", len(raw), MinSize)}
	}
	if len(raw) > MaxSize {
		return &MalformedError{Reason: fmt.Sprintf("token is %d characters long, more than the %d STS accepts", len(raw), MaxSize)}
	}
	return nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// describeByte names a character that cannot be part of a JWT, and why when
// it is a common mistake. Naming it is safe: it is by definition not token
// material.
func describeByte(c byte) (what, why string) {
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
		return fmt.Sprintf("whitespace (%q)", c), ""
	case c == '+' || c == '/':
		return fmt.Sprintf("%q", c), ", which is standard base64: JWTs use base64url (- and _ instead of + and /)"
	case c == '=':
		return "'=' padding", ", which JWTs never use (unpadded base64url)"
	case c >= 0x80:
		return "a non-ASCII byte", ""
	case c < 0x20 || c == 0x7f:
		return "a control character", ""
	default:
		return fmt.Sprintf("%q", c), ", which is not base64url"
	}
}

// parseHeader reads the JOSE header. Only "alg" matters: STS rejects
// unsigned and shared-secret tokens, and the user should learn that here.
func parseHeader(b []byte) (Header, error) {
	fields, err := parseObject("header", b)
	if err != nil {
		return Header{}, err
	}
	alg, present, err := stringField("header", "alg", "header", fields)
	if err != nil {
		return Header{}, err
	}
	switch {
	case !present:
		return Header{}, &MalformedError{Part: "header", Claim: "alg", Reason: `header has no "alg"`}
	case alg == "":
		return Header{}, &MalformedError{Part: "header", Claim: "alg", Reason: `header "alg" is empty`}
	case strings.EqualFold(alg, "none"):
		return Header{}, &MalformedError{Part: "header", Claim: "alg", Reason: `header "alg" is "none": the token is unsigned, and STS only accepts signed tokens`}
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return Header{}, &MalformedError{Part: "header", Claim: "alg", Reason: fmt.Sprintf(`header "alg" is %s, a shared-secret algorithm: STS needs a public-key one such as RS256`, quoteShort(alg))}
	}
	return Header{
		Alg: alg,
		Kid: textField(fields, "kid"),
		Typ: textField(fields, "typ"),
	}, nil
}

func parseClaims(b []byte) (Claims, error) {
	fields, err := parseObject("payload", b)
	if err != nil {
		return Claims{}, err
	}
	var c Claims

	iss, present, err := stringField("payload", "iss", "claim", fields)
	if err != nil {
		return Claims{}, err
	}
	if !present || iss == "" {
		return Claims{}, &MalformedError{Part: "payload", Claim: "iss", Reason: `claim "iss" is missing: STS needs the issuer to find the OIDC provider`}
	}
	c.Issuer = iss
	if c.Subject, _, err = stringField("payload", "sub", "claim", fields); err != nil {
		return Claims{}, err
	}
	if c.Audience, err = audienceField(fields); err != nil {
		return Claims{}, err
	}

	exp, present, err := timeField("exp", fields)
	if err != nil {
		return Claims{}, err
	}
	if !present {
		return Claims{}, &MalformedError{Part: "payload", Claim: "exp", Reason: `claim "exp" is missing: STS only accepts tokens that expire`}
	}
	c.ExpiresAt = exp
	if c.NotBefore, _, err = timeField("nbf", fields); err != nil {
		return Claims{}, err
	}
	if c.IssuedAt, _, err = timeField("iat", fields); err != nil {
		return Claims{}, err
	}

	// The CI claims only explain things in logs and hints: a claim of an odd
	// type is left empty rather than failing a token STS may well accept.
	for name, dst := range map[string]*string{
		"jti":                   &c.ID,
		"namespace_id":          &c.NamespaceID,
		"namespace_path":        &c.NamespacePath,
		"project_id":            &c.ProjectID,
		"project_path":          &c.ProjectPath,
		"project_visibility":    &c.ProjectVisibility,
		"user_id":               &c.UserID,
		"user_login":            &c.UserLogin,
		"user_email":            &c.UserEmail,
		"user_access_level":     &c.UserAccessLevel,
		"pipeline_id":           &c.PipelineID,
		"pipeline_source":       &c.PipelineSource,
		"job_id":                &c.JobID,
		"ref":                   &c.Ref,
		"ref_type":              &c.RefType,
		"ref_path":              &c.RefPath,
		"ref_protected":         &c.RefProtected,
		"environment":           &c.Environment,
		"environment_protected": &c.EnvironmentProtected,
		"environment_action":    &c.EnvironmentAction,
		"deployment_tier":       &c.DeploymentTier,
		"runner_id":             &c.RunnerID,
		"runner_environment":    &c.RunnerEnvironment,
		"sha":                   &c.SHA,
		"ci_config_ref_uri":     &c.CIConfigRefURI,
		"ci_config_sha":         &c.CIConfigSHA,
		"repository":            &c.Repository,
		"workflow":              &c.Workflow,
		"run_id":                &c.RunID,
		"actor":                 &c.Actor,
	} {
		*dst = textField(fields, name)
	}
	return c, nil
}

// parseObject decodes a JSON object into its raw members. JSON errors are
// replaced by our own words: encoding/json may quote a character of the
// input, and the payload is token material.
func parseObject(part string, b []byte) (map[string]json.RawMessage, error) {
	if !json.Valid(b) {
		return nil, &MalformedError{Part: part, Reason: part + " is not valid JSON"}
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if kind := jsonKind(trimmed); kind != "an object" {
		return nil, &MalformedError{Part: part, Reason: fmt.Sprintf("%s is not a JSON object but %s", part, kind)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, &MalformedError{Part: part, Reason: part + " is not a valid JSON object"}
	}
	return fields, nil
}

// jsonKind names the type of a valid JSON value for messages.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// stringField reads a member that must be a JSON string when present. null
// counts as absent.
func stringField(part, name, what string, fields map[string]json.RawMessage) (string, bool, error) {
	v, ok := fields[name]
	if !ok || jsonKind(v) == "null" {
		return "", false, nil
	}
	var s string
	if jsonKind(v) != "a string" || json.Unmarshal(v, &s) != nil {
		return "", false, &MalformedError{Part: part, Claim: name, Reason: fmt.Sprintf("%s %q is %s, want a string", what, name, jsonKind(v))}
	}
	return s, true, nil
}

// textField reads an informational member as text: a string as it is, a
// number or boolean in its JSON form, anything else as "".
func textField(fields map[string]json.RawMessage, name string) string {
	v, ok := fields[name]
	if !ok {
		return ""
	}
	switch jsonKind(v) {
	case "a string":
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case "a number", "a boolean":
		return string(bytes.TrimSpace(v))
	}
	return ""
}

// audienceField reads "aud", which RFC 7519 allows as one string or an array
// of strings.
func audienceField(fields map[string]json.RawMessage) ([]string, error) {
	v, ok := fields["aud"]
	if !ok || jsonKind(v) == "null" {
		return nil, nil
	}
	switch jsonKind(v) {
	case "a string":
		var s string
		if json.Unmarshal(v, &s) == nil {
			return []string{s}, nil
		}
	case "an array":
		var items []json.RawMessage
		if json.Unmarshal(v, &items) == nil {
			out := make([]string, 0, len(items))
			for _, item := range items {
				var s string
				if jsonKind(item) != "a string" || json.Unmarshal(item, &s) != nil {
					return nil, &MalformedError{Part: "payload", Claim: "aud", Reason: fmt.Sprintf(`claim "aud" holds %s, want only strings`, jsonKind(item))}
				}
				out = append(out, s)
			}
			return out, nil
		}
	}
	return nil, &MalformedError{Part: "payload", Claim: "aud", Reason: fmt.Sprintf(`claim "aud" is %s, want a string or an array of strings`, jsonKind(v))}
}

// timeField reads a NumericDate: seconds since 1970 as a JSON number, which
// RFC 7519 allows to have a fraction. null counts as absent.
func timeField(name string, fields map[string]json.RawMessage) (time.Time, bool, error) {
	v, ok := fields[name]
	if !ok || jsonKind(v) == "null" {
		return time.Time{}, false, nil
	}
	if kind := jsonKind(v); kind != "a number" {
		return time.Time{}, false, &MalformedError{Part: "payload", Claim: name, Reason: fmt.Sprintf("claim %q is %s, want a number of seconds since 1970", name, kind)}
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
	if err != nil || f < 0 || f > maxUnixSeconds {
		return time.Time{}, false, &MalformedError{Part: "payload", Claim: name, Reason: fmt.Sprintf("claim %q is out of range (want seconds since 1970, before year 10000)", name)}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// quoteShort quotes a header value for a message, cut so that a hostile
// header cannot flood the log.
func quoteShort(s string) string {
	const limit = 32
	if len(s) > limit {
		return fmt.Sprintf("%q…", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}
