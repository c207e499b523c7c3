package e2e

import "encoding/json"

// trustPolicy is the guide's role trust policy: the federated provider may
// call AssumeRoleWithWebIdentity when the token's sub and aud match exactly.
// subKey and audKey are the condition keys the peer uses
// ("<issuer host>:sub" on AWS and VersityGW, "oidc:sub" on SeaweedFS).
func trustPolicy(federated, subKey, sub, audKey, aud string) map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": federated},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{subKey: sub, audKey: aud}},
		}},
	}
}

// s3Policy lets a role do what the later jobs do: read its own identity and
// use S3 (everything, or only reads).
func s3Policy(readOnly bool) map[string]any {
	s3 := []string{"s3:*"}
	if readOnly {
		s3 = []string{"s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetObject"}
	}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Effect": "Allow", "Action": s3, "Resource": "*"},
			map[string]any{"Effect": "Allow", "Action": []string{"sts:GetCallerIdentity"}, "Resource": "*"},
		},
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
