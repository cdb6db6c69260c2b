#!/usr/bin/env bash
# A local AWS sandbox, no account needed (`make sandbox` / `make sandbox-stop`):
#   moto_server (S3, STS, Glue, sso-admin, identitystore) and Warden's fake of the SSO portal
#   and SSO-OIDC, both on 127.0.0.1, and the elevation broker (`warden broker run`), in the
#   background until `scripts/sandbox.sh stop`.
# It writes the workspace `sandbox` into the Warden configuration ($WARDEN_HOME when set): its
# policy (scripts/sandbox-policy.yaml, signed with a sandbox key kept beside config.toml and
# published to a folder), and its elevation request bucket and roles, created in moto, with the
# people of its identity store: you sign in as sam@example.com, an approver of pii-read, and
# ana@example.com is another analyst. It returns once the servers answer and the broker runs.
# The demo lake goes into moto's S3 and Glue and the Athena stand-in serves the workspace's
# queries over it. WARDEN_SANDBOX_PREBUILT=1 skips the build (tests pass their own binaries).
# `start --identity-center` (or WARDEN_SANDBOX_IDENTITY_CENTER=1) grants large-scan in the
# Identity Center mode instead: the broker assigns moto's permission set WardenLargeScan to you,
# and the fake SSO portal gives its role's credentials only while moto holds that assignment.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}"
state="${WARDEN_SANDBOX_STATE:-${XDG_RUNTIME_DIR:-/tmp}/warden-sandbox-$(id -u)}"
helper="$CARGO_TARGET_DIR/debug/warden-sandbox"
cli="$CARGO_TARGET_DIR/debug/warden"

if [ -n "${WARDEN_HOME:-}" ]; then
  config="$WARDEN_HOME/config/config.toml"
else
  config="${XDG_CONFIG_HOME:-$HOME/.config}/warden/config.toml"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

answers() { python3 - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass  # it answered
except Exception:
    sys.exit(1)
PY
}

stop() {
  local stopped=0
  # The broker first: it stops cleanly on SIGTERM, while moto still answers.
  for name in broker fake moto; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null && stopped=1 || true
      rm -f "$state/$name.pid"
    fi
  done
  rm -f "$state/endpoints"
  athena_stop && stopped=1
  [ "$stopped" = 1 ] && echo "sandbox stopped" || echo "no sandbox was running"
}

start() {
  if ! command -v moto_server >/dev/null; then
    echo "moto_server is not installed: run scripts/setup.sh --test (or pip install 'moto[server]==5.2.5')" >&2
    exit 1
  fi
  if [ -f "$state/fake.pid" ] && kill -0 "$(cat "$state/fake.pid")" 2>/dev/null; then
    echo "a sandbox is already running ($(cat "$state/endpoints")); restarting it"
    stop >/dev/null
  fi
  if [ -z "${WARDEN_SANDBOX_PREBUILT:-}" ]; then
    # The same build as `make test` (one feature set): a `-p` subset would rebuild the world.
    cargo test --quiet --workspace --no-run
  fi
  mkdir -p "$state"
  local moto_port fake_port
  moto_port=$(free_port)
  fake_port=$(free_port)
  setsid moto_server -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 < /dev/null &
  echo $! > "$state/moto.pid"
  setsid "$helper" serve "$fake_port" >"$state/fake.log" 2>&1 < /dev/null &
  echo $! > "$state/fake.pid"
  local moto="http://127.0.0.1:$moto_port" fake="http://127.0.0.1:$fake_port"
  fake_url="$fake"
  for _ in $(seq 1 150); do
    if answers "$moto/moto-api/" && answers "$fake/fake/health"; then
      echo "moto=$moto sso=$fake" > "$state/endpoints"
      if ! elevation_setup "$moto" || ! athena_start "$moto" || ! start_broker; then
        stop >/dev/null
        exit 1
      fi
      cat <<EOT
Sandbox running on 127.0.0.1: moto_server $moto, SSO portal and SSO-OIDC fake $fake.
Workspace \`sandbox\` written to $config.
  $cli login --workspace sandbox --device-code   # the fake approves after a few polls
  $cli login --workspace sandbox                 # browser sign-in; the fake's page approves at once
  $cli whoami --workspace sandbox
  $cli credentials --workspace sandbox           # credential_process JSON
  $cli bundle status --workspace sandbox         # the signed sandbox policy
  $cli query --workspace sandbox "SELECT country, count(*) AS n FROM sales.customers GROUP BY 1"
  $CARGO_TARGET_DIR/debug/warden-desktop        # the app (make run builds it)
The elevation broker decides requests in s3://$bucket (moto) every 2 s; its log: $state/broker.log
The app's and the broker's journals sync to s3://warden-audit/ (moto):
  AWS_ENDPOINT_URL_S3=$moto AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox AWS_REGION=us-east-1 \
    $cli audit verify-store --store s3://warden-audit/
Stop it with: make sandbox-stop
EOT
      if [ -n "$identity_center" ]; then
        echo "large-scan is granted in the Identity Center mode: an account assignment of the permission set WardenLargeScan (moto)."
      fi
      return 0
    fi
    sleep 0.2
  done
  echo "the sandbox servers did not answer within 30 s; logs in $state" >&2
  stop >/dev/null
  exit 1
}

bucket=warden-requests
# The sandbox's IAM Identity Center identity store (moto), where the broker looks approvers up.
identity_store=d-5a4db0e2c1

identity_center="${WARDEN_SANDBOX_IDENTITY_CENTER:-}"

# Creates the request bucket, the elevated roles and the people in moto, then signs
# scripts/sandbox-policy.yaml (a new revision at every start), publishes it to a folder, and
# writes the workspace.
elevation_setup() {
  local moto="$1" dir key bundles policy=scripts/sandbox-policy.yaml
  dir="$(dirname "$config")"
  key="$dir/sandbox-signing.key"
  bundles="$state/bundles"
  mkdir -p "$dir" "$bundles"
  if [ ! -f "$key" ]; then
    "$cli" bundle keygen --out "$key" >/dev/null || return 1
  fi
  rm -f "$state/permission-set-arn"
  # boto3 comes with moto_server.
  python3 - "$moto" "$bucket" "$identity_store" "$fake_url" "$identity_center" "$state/permission-set-arn" <<'PY' || { echo "cannot create the request bucket, roles and people in moto" >&2; return 1; }
import json, sys, urllib.request, boto3
endpoint, bucket, store, fake, identity_center, ps_file = sys.argv[1:7]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
boto3.client("s3", **kw).create_bucket(Bucket=bucket)
# The central audit store, where the app's and the broker's journals meet.
boto3.client("s3", **kw).create_bucket(Bucket="warden-audit")
broker = "arn:aws:iam::123456789012:role/warden-broker"
trust = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": broker},
    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]}
iam = boto3.client("iam", **kw)
# WardenAnalyst: the role of the sign-in (Identity Center's permission set), so that moto's
# STS names every person's session under one role id, as AWS does.
for name in ("warden-broker", "warden-pii-read", "warden-large-scan", "WardenAnalyst"):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
# The people of the identity store (docs/elevation.md, "Who may approve"): the analyst the
# sandbox signs in as approves pii-read (group warden-approvers, the policy's approver_group);
# another analyst whose requests they decide is not an approver.
ids = boto3.client("identitystore", **kw)
group = ids.create_group(IdentityStoreId=store, DisplayName="warden-approvers")["GroupId"]
analyst = "sam@example.com"
for user, approver in ((analyst, True), ("ana@example.com", False)):
    name = user.split("@")[0].capitalize()
    made = ids.create_user(IdentityStoreId=store, UserName=user, DisplayName=name,
                           Name={"GivenName": name, "FamilyName": "Example"},
                           Emails=[{"Value": user, "Primary": True}])
    if approver:
        ids.create_group_membership(IdentityStoreId=store, GroupId=group,
                                    MemberId={"UserId": made["UserId"]})
# Identity Center's role credentials name the person as the role session: the fake hands out
# the key of a session assumed in moto, so GetCallerIdentity says AROA...:sam@example.com.
session = boto3.client("sts", **kw).assume_role(
    RoleArn="arn:aws:iam::123456789012:role/WardenAnalyst", RoleSessionName=analyst)
knobs = {"access_key_id": session["Credentials"]["AccessKeyId"]}
if identity_center:
    # The Identity Center mode: a permission set of moto's instance, and the analyst in that
    # instance's identity store, where the broker looks them up to assign it.
    admin = boto3.client("sso-admin", **kw)
    instance = admin.list_instances()["Instances"][0]
    made = admin.create_permission_set(InstanceArn=instance["InstanceArn"],
                                       Name="WardenLargeScan", SessionDuration="PT1H")
    ids.create_user(IdentityStoreId=instance["IdentityStoreId"], UserName=analyst,
                    DisplayName="Sam", Name={"GivenName": "Sam", "FamilyName": "Example"},
                    Emails=[{"Value": analyst, "Primary": True}])
    with open(ps_file, "w") as f:
        f.write(made["PermissionSet"]["PermissionSetArn"])
    knobs["identity_center"] = {"moto_endpoint": endpoint, "user_name": analyst}
urllib.request.urlopen(urllib.request.Request(
    fake + "/fake/knobs", data=json.dumps(knobs).encode(),
    headers={"Content-Type": "application/json"}), timeout=5)
PY
  if [ -n "$identity_center" ]; then
    # large-scan maps onto the permission set instead of an STS role.
    policy="$state/sandbox-policy.yaml"
    python3 - scripts/sandbox-policy.yaml "$policy" "$(cat "$state/permission-set-arn")" <<'PY' || return 1
import sys
source, out, arn = sys.argv[1:4]
text = open(source).read()
sts = "      role_arn: arn:aws:iam::123456789012:role/warden-large-scan\n"
assert sts in text, "scripts/sandbox-policy.yaml changed shape"
# AWS's form of the ARN (moto makes arn:aws:sso:::instance/...), and the role name given, as
# moto's DescribePermissionSet knows only its own form.
arn = arn.replace(":::instance/", ":::permissionSet/", 1)
text = text.replace(sts, f'      permission_set_arn: {arn}\n      account_id: "123456789012"\n'
                         '      role_name: WardenLargeScan\n')
open(out, "w").write(text)
PY
  fi
  "$cli" bundle build --policy "$policy" --revision "$(date +%s)" \
    --key "$key" --out "$state/bundle.tar.gz" --audience sandbox >/dev/null || return 1
  "$cli" bundle publish "$state/bundle.tar.gz" --to "file://$bundles/" >/dev/null || return 1
  "$helper" write-config "$config" "$fake_url" "$moto" "file://$bundles/" "$key.pub" "$bucket" \
    "$identity_store"
}

# The broker with credentials of its own (moto takes any), as a task role would give them.
start_broker() {
  AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox AWS_REGION=us-east-1 \
    setsid "$cli" broker run --workspace sandbox --interval 2s >"$state/broker.log" 2>&1 < /dev/null &
  echo $! > "$state/broker.pid"
  for _ in $(seq 1 150); do
    if grep -q "is running" "$state/broker.log"; then
      return 0
    fi
    if ! kill -0 "$(cat "$state/broker.pid")" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  echo "the elevation broker did not start:" >&2
  cat "$state/broker.log" >&2
  return 1
}

# --- Athena (docs/athena.md): the demo lake (generated by a demo workspace in a private home)
# loaded into moto's S3 and Glue, and the stand-in serving Athena's API over it for `sandbox`.
standin="$CARGO_TARGET_DIR/debug/athena-standin"
lake_bucket="warden-sandbox-lake"

athena_start() {
  local moto="$1" demo="$state/demo-home" athena_port s3_port
  # (Called from an `||` list, where `set -e` does not apply: each step returns on failure.)
  "$cli" --home "$demo" workspace init >/dev/null || return 1
  athena_port=$(free_port)
  s3_port=$(free_port)
  setsid "$standin" --moto "$moto" --load-demo-lake "$lake_bucket" \
    --lake-dir "$demo/data/workspaces/demo/lake" \
    --athena-port "$athena_port" --s3-port "$s3_port" --until-killed \
    --workgroup warden-pii-read --workgroup warden-large-scan \
    --class-roles pii=arn:aws:iam::123456789012:role/warden-pii-read \
    >"$state/athena.log" 2>&1 < /dev/null &
  echo $! > "$state/athena.pid"
  local athena="http://127.0.0.1:$athena_port" s3="http://127.0.0.1:$s3_port"
  # The stand-in prints its endpoints once the lake is loaded and it listens.
  for _ in $(seq 1 600); do
    if grep -q '"athena"' "$state/athena.log" 2>/dev/null; then
      "$helper" write-athena "$config" "$athena" "$s3" "$moto" || return 1
      echo "athena=$athena s3=$s3" >> "$state/endpoints"
      echo "Athena stand-in $athena (results S3 front $s3) over the demo lake in moto (bucket $lake_bucket, Glue databases sales, web)."
      return 0
    fi
    if ! kill -0 "$(cat "$state/athena.pid")" 2>/dev/null; then
      echo "the Athena stand-in stopped: $(tail -n 5 "$state/athena.log")" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "the Athena stand-in did not answer within 120 s; log in $state/athena.log" >&2
  return 1
}

# Succeeds when it stopped a running stand-in.
athena_stop() {
  local pid_file="$state/athena.pid" stopped=1
  if [ -f "$pid_file" ]; then
    kill "$(cat "$pid_file")" 2>/dev/null && stopped=0
    rm -f "$pid_file"
  fi
  return $stopped
}

case "${1:-start}" in
  start)
    if [ "${2:-}" = "--identity-center" ]; then
      identity_center=1
    fi
    start ;;
  stop) stop ;;
  *) echo "usage: $0 [start [--identity-center]|stop]" >&2; exit 2 ;;
esac
