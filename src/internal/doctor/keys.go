package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// Algorithms a JWKS key may verify. GitLab signs with RS256; the others are
// asymmetric algorithms an issuer may use and AWS may accept, so a token
// signed with them is reported, not rejected outright.
var algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512,
}

// Keys fetches the JWKS, finds the token's key by kid and verifies the
// token's signature with it. Nothing of the token is printed: only its kid
// and alg, which are public.
func (d *Doctor) Keys(ctx context.Context, jwksURI string, tok *token.Token) Check {
	c := Check{Name: "keys"}
	f, err := d.get(ctx, jwksURI)
	if err != nil {
		c.Status, c.Summary = Fail, err.Error()
		c.Fix = fmt.Sprintf("jwks_uri %s must answer within %s from the internet (AWS's limit is 5s): \"Couldn't retrieve verification key from your identity provider\"", logging.URL(jwksURI), d.o.Limit)
		var fe *FetchError
		if errors.As(err, &fe) && fe.Status == http.StatusTooManyRequests {
			c.Fix = rateLimitFix
		}
		return c
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(f.body, &set); err != nil {
		c.Status, c.Summary = Fail, fmt.Sprintf("%s is not a JSON Web Key Set: %v", jwksURI, err)
		c.Fix = "jwks_uri must serve {\"keys\": [...]} with the issuer's public signing keys"
		return c
	}
	kid, alg := tok.Header.Kid, tok.Header.Alg
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, fmt.Sprintf("%q", k.KeyID))
	}
	keys := set.Keys
	if kid != "" {
		keys = set.Key(kid)
	}
	if len(keys) == 0 {
		c.Status = Fail
		c.Summary = fmt.Sprintf("%s (%s) has no key with the token's kid %q; it has %s", jwksURI, ms(f.elapsed), kid, orNone(kids))
		c.Fix = "the token was signed with a key the issuer does not publish: a token from another instance, a key rotated out, or a cache in front of jwks_uri serving old keys"
		return c
	}
	jws, err := jose.ParseSignedCompact(tok.Value(), algorithms)
	if err != nil {
		c.Status, c.Summary = Fail, fmt.Sprintf("the token's signature cannot be checked: %s", scrub(err, tok))
		c.Fix = "the token must be a compact JWS signed with an asymmetric algorithm (GitLab: RS256)"
		return c
	}
	var verified *jose.JSONWebKey
	for i := range keys {
		if _, err := jws.Verify(keys[i].Key); err == nil {
			verified = &keys[i]
			break
		}
	}
	if verified == nil {
		c.Status = Fail
		c.Summary = fmt.Sprintf("the token's signature does not verify with key %q from %s", kid, logging.URL(jwksURI))
		c.Fix = "the token was changed after signing, or signed by another key under the same kid: take the token exactly as the job received it"
		return c
	}
	c.Summary = fmt.Sprintf("%s answered in %s; key %q verifies the signature (%s)", jwksURI, ms(f.elapsed), verified.KeyID, alg)
	if alg != string(jose.RS256) {
		c.Status = Warn
		c.Fix = fmt.Sprintf("GitLab signs with RS256; check that AWS accepts %s for this provider", alg)
	}
	return c
}

func orNone(v []string) string {
	if len(v) == 0 {
		return "no keys"
	}
	return strings.Join(v, ", ")
}

// scrub keeps any part of the token out of a library's message.
func scrub(err error, tok *token.Token) string {
	msg := err.Error()
	for _, s := range tok.Secrets() {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	return msg
}
