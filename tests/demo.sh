#!/usr/bin/env bash
# make demo: the main job of aws-oidc end to end on this machine, explained
# step by step for someone who has never seen it. It plays three parts:
#   - GitLab:  a fake GitLab instance of ours that issues job ID tokens,
#   - AWS:     VersityGW, an independent open-source server that implements
#              AWS's IAM, STS and S3 APIs (no AWS account needed),
#   - the CI jobs: aws-oidc in one job, the AWS CLI in the next.
# Everything runs inside a private network namespace and is removed at the
# end, also when a step fails. Needs root (for the namespace).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/peers/versions.env"
peers=${AWS_OIDC_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-oidc/peers}
aws=/usr/bin/aws # the AWS CLI v2 from Debian; another `aws` may come first on PATH

step=0
say() { printf '\n\033[1m==> %d. %s\033[0m\n' "$((step += 1))" "$1"; shift; for line in "$@"; do printf '    %s\n' "$line"; done; }
run() { printf '    $ %s\n' "$*"; "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it creates a network namespace with 'ip netns add')" >&2
	exit 1
fi

work=$(mktemp -d /tmp/aws-oidc-demo.XXXXXX)
ns="aws-oidc-demo-$$"
pids=()
cleanup() {
	status=$? failed=$step
	say "Cleaning up" "Stopping every server we started (by PID), deleting the namespace and $work."
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	# Anything still inside the namespace was started by this demo.
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
	if [ "$status" -eq 0 ]; then
		printf '\n\033[1mDemo finished: a GitLab job got AWS credentials without any long-lived secret.\033[0m\n'
	else
		printf '\n\033[1mDemo FAILED at step %d (exit %d); the logs above say why.\033[0m\n' "$failed" "$status" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_ns runs a command inside the private network namespace. Servers are
# started with `ip netns exec` directly instead, so that $! is the server's own
# PID (ip execs the program in place; a function would add a subshell).
in_ns() { ip netns exec "$ns" "$@"; }

# wait_for polls a URL from inside the namespace until it answers.
wait_for() {
	for _ in $(seq 1 100); do
		in_ns curl -skf -o /dev/null --max-time 2 "$1" && return 0
		sleep 0.1
	done
	echo "demo: $1 did not answer; server logs are in $work/*.log" >&2
	tail -n 20 "$work"/*.log >&2 || true
	return 1
}

say "Installing what the demo needs" \
	"The AWS CLI, iproute2, openssl and curl from Debian, and VersityGW $VERSITYGW_VERSION built from" \
	"source once and cached in $peers (the first run takes a few minutes)."
sh "$repo/tests/peers/install.sh" versitygw
versitygw="$peers/versitygw-$VERSITYGW_VERSION/versitygw"

say "Building aws-oidc and the fake GitLab" "Static Go binaries, the same way 'make build' does."
if [ -n "${AWS_OIDC_BIN:-}" ]; then
	cp "$AWS_OIDC_BIN" "$work/aws-oidc" # a binary built elsewhere, e.g. a release
else
	(cd "$repo" && CGO_ENABLED=0 go build -o "$work/aws-oidc" ./src/cmd/aws-oidc)
fi
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/fake-gitlab" ./tests/fakegitlab/cmd/fake-gitlab)
echo "    built $work/aws-oidc and $work/fake-gitlab"

issuer=https://198.18.0.1
say "Creating a private network" \
	"AWS only fetches an issuer's keys over https, on port 443, from a public address. We give" \
	"ourselves one, 198.18.0.1, inside a network namespace: nothing leaves this machine."
run ip netns add "$ns"
run ip -n "$ns" link set lo up
run ip -n "$ns" addr add 198.18.0.1/32 dev lo

say "Starting the fake GitLab at $issuer" \
	"Like a GitLab instance it publishes /.well-known/openid-configuration and its signing keys" \
	"at /oauth/discovery/keys. Its https certificate is made here, by a throwaway CA."
"$work/fake-gitlab" keygen -out "$work/gitlab-key.pem"
thumbprint=$("$work/fake-gitlab" cert -dir "$work" -host 198.18.0.1)
ip netns exec "$ns" "$work/fake-gitlab" serve -key "$work/gitlab-key.pem" -issuer "$issuer" -listen 198.18.0.1:443 \
	-tls-cert "$work/tls.crt" -tls-key "$work/tls.key" >"$work/fake-gitlab.log" 2>&1 &
pids+=($!)
wait_for "$issuer/.well-known/openid-configuration"
echo "    the discovery document says:"
in_ns curl -sk "$issuer/.well-known/openid-configuration" | tr ',' '\n' | grep -E '"(issuer|jwks_uri)"' | sed 's/^[{ ]*/      /'

say "Starting the stand-in for AWS: VersityGW $VERSITYGW_VERSION" \
	"Two processes: IAM and STS on http://127.0.0.1:7080, and S3 on http://127.0.0.1:7070." \
	"Its administrator keys play the part of your AWS account's admin login."
root_key=DEMOROOTKEY
root_secret=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/iam" "$work/s3data"
ip netns exec "$ns" "$versitygw" --health /healthz -p 127.0.0.1:7080 -a "$root_key" -s "$root_secret" \
	iam --dir "$work/iam" --private-ports "$work/iam.sock" >"$work/versitygw-iam.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:7080/healthz
ip netns exec "$ns" "$versitygw" --health /healthz -p 127.0.0.1:7070 -a "$root_key" -s "$root_secret" \
	--iam-standalone-endpoint "$work/iam.sock" posix "$work/s3data" >"$work/versitygw-s3.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:7070/healthz
echo "    both are up"

# admin runs the AWS CLI as the account administrator.
admin() {
	in_ns env -i PATH=/usr/bin:/bin HOME="$work" AWS_ACCESS_KEY_ID="$root_key" AWS_SECRET_ACCESS_KEY="$root_secret" \
		AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true "$aws" --endpoint-url http://127.0.0.1:7080 "$@"
}

say "Setting up AWS the way GitLab's guide says (with the AWS CLI, as an administrator)" \
	"a) Tell AWS to trust tokens from our GitLab: an IAM OIDC identity provider for $issuer," \
	"   with GitLab's URL as the audience, pinned to the certificate's thumbprint $thumbprint."
printf '    $ aws iam create-open-id-connect-provider --url %s --client-id-list %s --thumbprint-list %s\n' "$issuer" "$issuer" "$thumbprint"
provider=$(admin iam create-open-id-connect-provider --url "$issuer" --client-id-list "$issuer" \
	--thumbprint-list "$thumbprint" --query OpenIDConnectProviderArn --output text)
echo "    created $provider"
echo "    b) A role that only jobs of project mygroup/myproject on branch main may assume:"
cat >"$work/trust.json" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "$provider"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {
      "198.18.0.1:sub": "project_path:mygroup/myproject:ref_type:branch:ref:main",
      "198.18.0.1:aud": "$issuer"
    }}
  }]
}
JSON
sed 's/^/      /' "$work/trust.json"
role=$(admin iam create-role --role-name deploy --assume-role-policy-document "file://$work/trust.json" --query Role.Arn --output text)
echo "    created $role"
echo "    c) What the role may do: use S3 and ask who it is."
admin iam put-role-policy --role-name deploy --policy-name deploy --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}'
echo "    done"

say "A pipeline starts: GitLab gives the job an ID token" \
	"In .gitlab-ci.yml that is 'id_tokens: { GITLAB_OIDC_TOKEN: { aud: $issuer } }'. The token is a" \
	"signed statement: 'this job runs for mygroup/myproject on main', valid for a few minutes."
token=$("$work/fake-gitlab" mint -key "$work/gitlab-key.pem" -issuer "$issuer" -lifetime 10m)
echo "    GITLAB_OIDC_TOKEN holds ${#token} characters (a secret: never printed)."

say "The job runs aws-oidc assume" \
	"It checks the token locally, asks STS to swap it for temporary credentials, and writes them" \
	"to aws.env, which GitLab hands to later jobs (artifacts:reports:dotenv)."
mkdir -p "$work/job"
printf '    $ aws-oidc assume --role-arn %s --sts-endpoint http://127.0.0.1:7080\n' "$role"
# GitLab folds the diagnostics into a collapsible section; its markers are dropped here.
(cd "$work/job" && in_ns env -i PATH=/usr/bin:/bin HOME="$work" GITLAB_CI=true CI_PROJECT_ID=22 CI_PIPELINE_ID=1001 \
	CI_JOB_ID=2002 GITLAB_OIDC_TOKEN="$token" "$work/aws-oidc" assume --role-arn "$role" \
	--sts-endpoint http://127.0.0.1:7080) 2>&1 | sed -e 's/\x1b\[0K//g' -e 's/\r//g' -e 's/^section_start:[^]]*\]//' -e '/^section_end:/d' -e 's/^/    | /'

say "What the next jobs receive: aws.env (secrets redacted here)" \
	"Six variables in GitLab's strict dotenv format; the AWS CLI and SDKs read them as they are."
while IFS='=' read -r key value; do
	case $key in
	*SECRET_ACCESS_KEY | *SESSION_TOKEN) value="<redacted: ${#value} characters>" ;;
	*ACCESS_KEY_ID) value="${value:0:4}…${value: -4}" ;;
	esac
	printf '      %s=%s\n' "$key" "$value"
done <"$work/job/aws.env"

say "A later job uses the credentials" \
	"It has nothing of AWS but the variables from aws.env: no long-lived AWS keys anywhere."
later() {
	set -f
	# shellcheck disable=SC2046 # one KEY=VALUE word per line; values hold no spaces or globs
	in_ns env -i PATH=/usr/bin:/bin HOME="$work" AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
		$(cat "$work/job/aws.env") "$aws" "$@"
	set +f
}
echo "    $ aws sts get-caller-identity"
later --endpoint-url http://127.0.0.1:7080 sts get-caller-identity --output table | sed 's/^/      /'
echo "hello from a GitLab job" >"$work/hello.txt"
echo "    $ aws s3 mb s3://demo-bucket && aws s3 cp hello.txt s3://demo-bucket/ && aws s3 ls s3://demo-bucket"
later --endpoint-url http://127.0.0.1:7070 s3 mb s3://demo-bucket | sed 's/^/      /'
later --endpoint-url http://127.0.0.1:7070 s3 cp "$work/hello.txt" s3://demo-bucket/hello.txt --only-show-errors
later --endpoint-url http://127.0.0.1:7070 s3 ls s3://demo-bucket | sed 's/^/      /'
