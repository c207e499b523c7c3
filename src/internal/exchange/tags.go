package exchange

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// Session tag limits of STS.
const (
	MaxTags        = 50
	MaxTagKey      = 128
	MaxTagValue    = 256
	maxTransitive  = MaxTags
	reservedPrefix = "aws:"
)

// tagRune is AWS's character set for tag keys and values:
// [\p{L}\p{Z}\p{N}_.:/=+\-@].
func tagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

// ParseTag reads a KEY=VALUE session tag given by the user. Given tags are
// checked, not rewritten: a policy condition must see exactly what was typed.
func ParseTag(s string) (Tag, error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return Tag{}, tagErr("%q is not KEY=VALUE", s)
	}
	t := Tag{Key: strings.TrimSpace(key), Value: value}
	if err := checkTag(t); err != nil {
		return Tag{}, err
	}
	return t, nil
}

func tagErr(format string, args ...any) error {
	return &FieldError{Field: "tag", Msg: fmt.Sprintf(format, args...)}
}

func checkTag(t Tag) error {
	switch n := utf8.RuneCountInString(t.Key); {
	case n == 0:
		return tagErr("a tag key is empty")
	case n > MaxTagKey:
		return tagErr("key %q is %d characters; AWS accepts at most %d", t.Key, n, MaxTagKey)
	case !allRunes(t.Key, tagRune):
		return tagErr("key %q holds a character AWS does not accept (letters, digits, spaces and _.:/=+-@)", t.Key)
	case strings.HasPrefix(strings.ToLower(t.Key), reservedPrefix):
		return tagErr("key %q starts with %q, which AWS reserves", t.Key, reservedPrefix)
	}
	if n := utf8.RuneCountInString(t.Value); n > MaxTagValue {
		return tagErr("the value of %q is %d characters; AWS accepts at most %d", t.Key, n, MaxTagValue)
	}
	for _, r := range t.Value {
		if !tagRune(r) {
			return tagErr("the value of %q holds %q, which AWS does not accept in tags (letters, digits, spaces and _.:/=+-@)", t.Key, r)
		}
	}
	return nil
}

// ClaimNames are the GitLab claims --tags-from-claims turns into session
// tags, in this order; the tag key is the claim's name, so a policy reads
// aws:PrincipalTag/project_path.
var ClaimNames = []string{"project_path", "namespace_path", "ref", "ref_type", "ref_protected", "environment", "pipeline_id", "job_id", "user_login"}

// ClaimTags turns the token's claims into session tags: every character AWS
// does not accept becomes "_", values are cut to 256 characters, and empty
// claims are left out. It reports which claims had to be rewritten.
func ClaimTags(c token.Claims) (tags []Tag, rewritten []string) {
	values := map[string]string{
		"project_path":   c.ProjectPath,
		"namespace_path": c.NamespacePath,
		"ref":            c.Ref,
		"ref_type":       c.RefType,
		"ref_protected":  c.RefProtected,
		"environment":    c.Environment,
		"pipeline_id":    c.PipelineID,
		"job_id":         c.JobID,
		"user_login":     c.UserLogin,
	}
	for _, name := range ClaimNames {
		v := values[name]
		if v == "" {
			continue
		}
		clean := SanitizeValue(v)
		if clean != v {
			rewritten = append(rewritten, name)
		}
		tags = append(tags, Tag{Key: name, Value: clean})
	}
	return tags, rewritten
}

// SanitizeValue makes v a valid tag value: characters outside AWS's set
// become "_", and it is cut to MaxTagValue characters.
func SanitizeValue(v string) string {
	var b strings.Builder
	n := 0
	for _, r := range v {
		if n == MaxTagValue {
			break
		}
		if r == utf8.RuneError || !tagRune(r) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Tags merges the tags given with --tag and those from the claims: a given
// tag wins over a claim of the same key (AWS compares keys without case).
// It refuses more than MaxTags, and transitive keys that name no tag.
func Tags(given, fromClaims []Tag, transitive []string) ([]Tag, []string, error) {
	var out []Tag
	seen := map[string]bool{}
	for _, t := range given {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return nil, nil, tagErr("key %q is given twice (AWS compares tag keys without case)", t.Key)
		}
		seen[k] = true
		out = append(out, t)
	}
	for _, t := range fromClaims {
		if k := strings.ToLower(t.Key); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, nil, tagErr("%d session tags; AWS accepts at most %d", len(out), MaxTags)
	}
	var keys []string
	for _, k := range transitive {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !seen[strings.ToLower(k)] {
			return nil, nil, &FieldError{Field: "transitive-tag-key", Msg: fmt.Sprintf("%q is not the key of a session tag (give it with --tag or --tags-from-claims)", k)}
		}
		keys = append(keys, k)
	}
	if len(keys) > maxTransitive {
		return nil, nil, &FieldError{Field: "transitive-tag-key", Msg: fmt.Sprintf("%d transitive keys; AWS accepts at most %d", len(keys), maxTransitive)}
	}
	return out, keys, nil
}

// Tag is one session tag.
type Tag struct {
	Key   string
	Value string
}
