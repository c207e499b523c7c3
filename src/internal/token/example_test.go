package token_test

import (
	"errors"
	"fmt"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

func ExampleParse() {
	// A token with a fake signature: Parse never verifies it, STS does.
	raw := b64(`{"alg":"RS256","typ":"JWT"}`) + "." +
		b64(`{"iss":"https://gitlab.example.com","aud":"https://gitlab.example.com",`+
			`"sub":"project_path:mygroup/myproject:ref_type:branch:ref:main","ref":"main","ref_type":"branch",`+
			`"ref_protected":"true","exp":1795676400}`) + "." +
		b64("signature") + "\n"

	tok, err := token.Parse(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok)
	for _, kv := range tok.Claims.Safe() {
		fmt.Printf("%s=%s\n", kv.Key, kv.Value)
	}
	// Output:
	// token{iss="https://gitlab.example.com" aud="https://gitlab.example.com" sub="project_path:mygroup/myproject:ref_type:branch:ref:main" ref="main" ref_type="branch" ref_protected="true" exp="2026-11-26T07:00:00Z"}
	// iss=https://gitlab.example.com
	// aud=https://gitlab.example.com
	// sub=project_path:mygroup/myproject:ref_type:branch:ref:main
	// ref=main
	// ref_type=branch
	// ref_protected=true
	// exp=2026-11-26T07:00:00Z
}

func ExampleCheck() {
	tok, err := token.Parse(raw(rs256, `{"iss":"https://gitlab.example.com","aud":"https://gitlab.com","exp":1795676400}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = token.Check(tok, token.CheckOptions{
		Now:         time.Unix(1795676400, 0).Add(-time.Hour),
		Audience:    "https://gitlab.example.com",
		MinLifetime: time.Minute,
		Skew:        time.Minute,
	})
	var audience *token.AudienceError
	if errors.As(err, &audience) {
		fmt.Println(err)
	}
	// Output:
	// token audience ("aud") ["https://gitlab.com"] does not contain "https://gitlab.example.com"
}
