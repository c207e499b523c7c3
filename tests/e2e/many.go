package e2e

// The roles issue 6's cases need besides the guide's: a third role trusted
// like deploy (three roles from one token), one that may not use S3
// (--check-s3 refused), and a role to chain into.

// identityPolicy lets a role read its own identity and nothing else.
func identityPolicy() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Effect": "Allow", "Action": []string{"sts:GetCallerIdentity"}, "Resource": "*"},
		},
	}
}

// manyRolesVersity creates the roles with VersityGW's IAM API; iam runs
// `aws iam` with the root keys and trust is the deploy role's trust policy.
// VersityGW v1.8.0 has no AssumeRole, so Chained names a role that is never
// reached: the chain case checks that the refusal is reported.
func (b *Bed) manyRolesVersity(iam func(args ...string) string, trust map[string]any) {
	for _, r := range []struct {
		name   string
		policy map[string]any
		arn    *string
	}{
		{"audit", s3Policy(true), &b.Roles.Audit},
		{"nos3", identityPolicy(), &b.Roles.NoS3},
	} {
		*r.arn = iam("create-role", "--role-name", r.name, "--assume-role-policy-document", mustJSON(trust), "--query", "Role.Arn")
		iam("put-role-policy", "--role-name", r.name, "--policy-name", "jobs", "--policy-document", mustJSON(r.policy))
	}
	b.Roles.Chained = "arn:aws:iam::" + b.Account + ":role/chained"
}

// manyRolesSeaweed adds the roles to SeaweedFS's IAM configuration. The
// chained role trusts the deploy role's sessions of the job JobEnv
// describes: SeaweedFS matches the caller's assumed-role ARN exactly.
func (b *Bed) manyRolesSeaweed(cfg map[string]any) {
	role := func(name string) string { return "arn:aws:iam::" + seaweedAccount + ":role/" + name }
	b.Roles.Audit, b.Roles.NoS3, b.Roles.Chained = role("audit"), role("nos3"), role("chained")
	trust := trustPolicy("gitlab", "oidc:sub", Subject, "oidc:aud", seaweedIssuer)
	chainTrust := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow",
			// SeaweedFS names a session arn:aws:sts::assumed-role/ROLE/SESSION,
			// without the account AWS puts there.
			"Principal": map[string]any{"AWS": []string{b.Roles.Deploy,
				"arn:aws:sts::" + seaweedAccount + ":assumed-role/deploy/GitLabRunner-22-1001-2002",
				"arn:aws:sts::assumed-role/deploy/GitLabRunner-22-1001-2002"}},
			// SeaweedFS refuses sts:TagSession in a trust policy; it ignores
			// session tags altogether.
			"Action": "sts:AssumeRole",
		}},
	}
	nos3 := identityPolicy()
	nos3["Statement"] = append(nos3["Statement"].([]any),
		map[string]any{"Effect": "Allow", "Action": "sts:ValidateSession", "Resource": "*"})
	cfg["roles"] = append(cfg["roles"].([]any),
		seaweedRole(b.Roles.Audit, "audit", trust, "jobs-readonly"),
		seaweedRole(b.Roles.NoS3, "nos3", trust, "identity-only"),
		seaweedRole(b.Roles.Chained, "chained", chainTrust, "jobs"),
	)
	cfg["policies"] = append(cfg["policies"].([]any), map[string]any{"name": "identity-only", "document": nos3})
}
