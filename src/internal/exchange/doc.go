// Package exchange owns everything aws-oidc asks of STS: the call that turns
// a web identity token into AWS credentials (webidentity.go), the chained
// AssumeRole hops after it (chain.go, assumerole.go, tags.go,
// sourceidentity.go), the GetCallerIdentity check (verify.go), all with
// classified retries (retry.go, classify.go, error.go), a timeout per
// attempt and an overall deadline that always holds, and the checks of
// every answer (answer.go). It also owns the values those calls take and
// give, checked before any network call: the typed role ARN (arn.go), its
// partition and STS endpoint (partition.go), the session name and duration
// (session.go) and policies (policy.go), the SDK clients (client.go), and
// the credentials, which can never be printed by accident (credentials.go).
// The package is not named sts so as not to shadow the AWS SDK's.
package exchange
