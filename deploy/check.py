#!/usr/bin/env python3
"""Security properties of deploy/warden-aws.yaml that cfn-lint cannot know.

cfn-lint proves the template is valid CloudFormation; this proves it says what
docs/deploy-aws.md promises: an object's key in the request bucket names its writer, only
approvers write revocations, analysts list only their own requests and credentials, approvers
list only the queue, elevated
roles trust only the broker for a named analyst and grant, audit objects are write-once,
and Lake Formation never grants personal data to baseline roles nor restricted data to anyone.
Each check is also run against a template broken on purpose, so a check that cannot fail fails.

Usage: deploy/check.py [TEMPLATE]   (prints "deploy: N passed, M failed", exits 1 on failure)
"""
import copy
import sys

from cfnlint.decode import decode

BROKER = {"Fn::GetAtt": ["BrokerRole", "Arn"]}


def statements(policy):
    return policy["PolicyDocument"]["Statement"] if "PolicyDocument" in policy else policy["Statement"]


def sid(stmts, name):
    found = [s for s in stmts if isinstance(s, dict) and s.get("Sid") == name]
    assert found, f"statement {name} is missing"
    return found[0]


def sub_text(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        v = value["Fn::Sub"]
        return v if isinstance(v, str) else v[0]
    return value


def as_list(v):
    return v if isinstance(v, list) else [v]


def request_keys_name_their_writer(t):
    stmts = statements(t["Resources"]["RequestBucketPolicy"]["Properties"])
    deny = sid(stmts, "WritesOnlyUnderOwnUserId")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*", "the write rule must deny everyone"
    assert as_list(deny["Action"]) == ["s3:PutObject"], "the write rule must cover PutObject"
    allowed = sorted(sub_text(r) for r in deny["NotResource"])
    assert allowed == [
        "${RequestBucket.Arn}/approvals/${!aws:userid}/*",
        "${RequestBucket.Arn}/requests/${!aws:userid}/*",
        "${RequestBucket.Arn}/revocations/${!aws:userid}/*",
    ], f"writes outside the writer's own prefix are possible: {allowed}"
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": BROKER}}, \
        "only the broker may be exempt from the write rule"
    for s in stmts:
        if s.get("Effect") == "Allow" and "s3:PutObject" in as_list(s["Action"]):
            for r in as_list(s["Resource"]):
                assert "${!aws:userid}" in sub_text(r), f"{s['Sid']} allows a write not keyed by the writer"


def credentials_reach_only_their_requester(t):
    stmts = statements(t["Resources"]["RequestBucketPolicy"]["Properties"])
    deny = sid(stmts, "CredentialsOnlyForTheirRequester")
    assert deny["Effect"] == "Deny"
    grants = [sub_text(r) for r in deny["NotResource"] if "grants/" in sub_text(r)]
    assert grants == ["${RequestBucket.Arn}/grants/${!aws:userid}/*"], \
        f"credentials readable beyond their requester: {grants}"


def analysts_list_only_their_own_prefixes(t):
    stmts = statements(t["Resources"]["RequestBucketPolicy"]["Properties"])
    listing = sid(stmts, "AnalystsListTheirOwn")
    assert as_list(listing["Action"]) == ["s3:ListBucket"], "the analysts' listing grants more than a listing"
    prefixes = as_list(listing.get("Condition", {}).get("StringLike", {}).get("s3:prefix", []))
    assert prefixes and all(p.split("/")[1:2] == ["${aws:userid}"] for p in prefixes), \
        f"analysts list beyond their own prefixes: {prefixes or 'everything'}"
    for s in stmts:
        if s.get("Effect") == "Allow" and "s3:ListBucket" in as_list(s["Action"]):
            who = str(s.get("Condition", {}).get("ArnLike", {}))
            if "AnalystPermissionSetName" in who:
                assert s is listing, f"{s['Sid']} lets analysts list the bucket"


def only_approvers_revoke(t):
    """A revocation ends a grant if its writer may approve; without an identity store the broker
    cannot tell an approver from an analyst, so the bucket must: only the approvers' permission
    set writes under revocations/ (analysts end their own grant under requests/)."""
    stmts = statements(t["Resources"]["RequestBucketPolicy"]["Properties"])
    writers = []
    for s in stmts:
        if s.get("Effect") != "Allow" or "s3:PutObject" not in as_list(s["Action"]):
            continue
        if any("/revocations/" in sub_text(r) for r in as_list(s["Resource"])):
            writers.append(s)
    assert writers, "nobody may write a revocation"
    for s in writers:
        who = as_list(s.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn", []))
        assert who and all("ApproverPermissionSetName" in str(w) for w in who), \
            f"{s['Sid']} lets more than approvers write revocations: {who or 'everyone'}"
        for r in as_list(s["Resource"]):
            if "/revocations/" in sub_text(r):
                assert sub_text(r) == "${RequestBucket.Arn}/revocations/${!aws:userid}/*", \
                    f"{s['Sid']} lets approvers revoke under another's name: {sub_text(r)}"


def approvers_list_only_the_queue(t):
    stmts = statements(t["Resources"]["RequestBucketPolicy"]["Properties"])
    for s in stmts:
        if s.get("Effect") != "Allow" or "s3:ListBucket" not in as_list(s["Action"]):
            continue
        who = str(s.get("Condition", {}).get("ArnLike", {}))
        if "ApproverPermissionSetName" not in who:
            continue
        prefixes = as_list(s.get("Condition", {}).get("StringLike", {}).get("s3:prefix", []))
        assert prefixes and all(p.split("/")[0] in ("requests", "approvals", "revocations")
                                for p in prefixes), \
            f"{s['Sid']} lets approvers list beyond the queue: {prefixes or 'everything'}"


def elevated_roles_trust_only_the_broker(t):
    roles = [n for n, r in t["Resources"].items()
             if r["Type"] == "AWS::IAM::Role" and n != "BrokerRole"]
    assert roles, "no elevated roles"
    for name in roles:
        props = t["Resources"][name]["Properties"]
        assert props.get("MaxSessionDuration", 3600) <= 3600, f"{name} sessions may outlive an hour"
        for s in statements(props["AssumeRolePolicyDocument"]):
            if s["Effect"] != "Allow":
                continue
            assert s["Principal"] == {"AWS": BROKER}, f"{name} trusts more than the broker"
            cond = s.get("Condition", {})
            like = cond.get("StringLike", {})
            assert like.get("sts:SourceIdentity") == "?*", f"{name} can be assumed without naming the analyst"
            assert like.get("aws:RequestTag/warden-grant") == "?*", f"{name} can be assumed without a grant tag"


def audit_objects_are_write_once(t):
    props = t["Resources"]["AuditBucket"]["Properties"]
    rule = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert props.get("ObjectLockEnabled") is True and rule["Mode"] == "COMPLIANCE", \
        "audit objects can be deleted (Object Lock must be in compliance mode)"
    stmts = statements(t["Resources"]["AuditBucketPolicy"]["Properties"])
    deny = sid(stmts, "NoOverwrites")
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Null": {"s3:if-none-match": "true"}}, \
        "an audit object can be written without If-None-Match"
    for s in stmts:
        if s.get("Effect") == "Allow":
            for a in as_list(s["Action"]):
                assert not a.startswith("s3:Delete"), f"{s['Sid']} allows deleting audit objects"


def lake_formation_matches_the_tags(t):
    grants = {}
    for name, r in t["Resources"].items():
        if r["Type"] != "AWS::LakeFormation::PrincipalPermissions":
            continue
        who = r["Properties"]["Principal"]["DataLakePrincipalIdentifier"]
        who = who.get("Ref") or who.get("Fn::GetAtt", [None])[0]
        values = {v for e in r["Properties"]["Resource"]["LFTagPolicy"]["Expression"]
                  for v in e["TagValues"]}
        grants.setdefault(who, set()).update(values)
    assert "restricted" not in set().union(*grants.values()), "restricted columns are granted"
    for who in ("BaselineRoleArn", "LargeScanRole"):
        assert grants.get(who) == {"public"}, f"{who} is granted {sorted(grants.get(who, []))}"
    assert grants.get("PiiReadRole") == {"public", "pii"}, "pii-read cannot read pii"


CHECKS = [
    request_keys_name_their_writer,
    credentials_reach_only_their_requester,
    analysts_list_only_their_own_prefixes,
    only_approvers_revoke,
    approvers_list_only_the_queue,
    elevated_roles_trust_only_the_broker,
    audit_objects_are_write_once,
    lake_formation_matches_the_tags,
]


def break_template(t, check):
    """A copy of the template with the property `check` guards removed."""
    b = copy.deepcopy(t)
    r = b["Resources"]
    if check is request_keys_name_their_writer:
        sid(statements(r["RequestBucketPolicy"]["Properties"]), "WritesOnlyUnderOwnUserId")[
            "NotResource"].append({"Fn::Sub": "${RequestBucket.Arn}/state/*"})
    elif check is credentials_reach_only_their_requester:
        sid(statements(r["RequestBucketPolicy"]["Properties"]), "CredentialsOnlyForTheirRequester")[
            "NotResource"][0] = {"Fn::Sub": "${RequestBucket.Arn}/grants/*"}
    elif check is analysts_list_only_their_own_prefixes:
        del sid(statements(r["RequestBucketPolicy"]["Properties"]), "AnalystsListTheirOwn")[
            "Condition"]["StringLike"]
    elif check is only_approvers_revoke:
        analysts = sid(statements(r["RequestBucketPolicy"]["Properties"]), "AnalystsRequest")
        analysts["Resource"] = [analysts["Resource"],
                                {"Fn::Sub": "${RequestBucket.Arn}/revocations/${!aws:userid}/*"}]
    elif check is approvers_list_only_the_queue:
        del sid(statements(r["RequestBucketPolicy"]["Properties"]), "ApproversListTheQueue")[
            "Condition"]["StringLike"]
    elif check is elevated_roles_trust_only_the_broker:
        s = statements(r["PiiReadRole"]["Properties"]["AssumeRolePolicyDocument"])[0]
        del s["Condition"]["StringLike"]["sts:SourceIdentity"]
    elif check is audit_objects_are_write_once:
        r["AuditBucket"]["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"][
            "Mode"] = "GOVERNANCE"
    elif check is lake_formation_matches_the_tags:
        r["BaselineReadsPublicColumns"]["Properties"]["Resource"]["LFTagPolicy"]["Expression"][0][
            "TagValues"].append("pii")
    return b


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "deploy/warden-aws.yaml"
    template, matches = decode(path)
    if matches:
        for m in matches:
            print(f"{path}: {m}", file=sys.stderr)
        print("deploy: 0 passed, 1 failed")
        return 1
    passed = failed = 0
    for check in CHECKS:
        try:
            check(template)
        except AssertionError as e:
            failed += 1
            print(f"FAILED {check.__name__}: {e}", file=sys.stderr)
            continue
        try:
            check(break_template(template, check))
        except AssertionError:
            passed += 1
            print(f"ok {check.__name__}")
        else:
            failed += 1
            print(f"FAILED {check.__name__}: passes on a template broken on purpose", file=sys.stderr)
    print(f"deploy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
