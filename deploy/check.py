#!/usr/bin/env python3
"""Security properties of deploy/warden-aws.yaml that cfn-lint cannot know.

cfn-lint proves the template is valid CloudFormation; this proves it says what
docs/deploy-aws.md promises: an object's key in the request bucket names its writer, only
approvers write revocations, analysts list only their own requests and credentials, approvers
list only the queue, elevated
roles trust only the broker for a named analyst and grant, audit objects are write-once,
each writer of the audit store (analysts, approvers, the broker) writes, reads and lists only
the objects under its own aws:userid while auditors read all, and Lake Formation never grants personal data to baseline roles nor restricted data to anyone.
Each check is also run against a template broken on purpose, so a check that cannot fail fails.

Usage: deploy/check.py [TEMPLATE]   (prints "deploy: N passed, M failed", exits 1 on failure)
"""
import copy
import re
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


# The audit store's writers and the one prefix each may touch (docs/audit.md, "Objects").
AUDIT_WRITERS = ("AnalystPermissionSetName", "ApproverPermissionSetName", "BrokerRole")
OWN_OBJECTS = "${AuditBucket.Arn}/audit/v1/dt=????-??-??/principal=${!aws:userid}/*"
OWN_PREFIX = "audit/v1/dt=????-??-??/principal=${aws:userid}/*"
ALICE, BOB = "AROAEXAMPLEROLEID:alice@example.com", "AROAEXAMPLEROLEID:bob@example.com"
DAY = "audit/v1/dt=2026-12-05"
OBJ = "device=0193a0b0-0000-7000-8000-000000000001/000000000001-000000000014.jsonl.gz"
# Keys (under the bucket's ARN) and listing prefixes Alice may or may not reach.
ALICE_OWN_KEYS = [f"{DAY}/principal={ALICE}/{OBJ}"]
NOT_ALICES_KEYS = [
    f"{DAY}/principal={BOB}/{OBJ}",
    f"{DAY}/principal={ALICE}x/{OBJ}",  # a longer user id that starts with hers
    f"{DAY}/principal={BOB}/device=d/principal={ALICE}/{OBJ}",  # hidden in Bob's folder
    f"audit/v1/dt=2026-12-05/{OBJ}",  # written before keys named their writer
    "audit/v1/notes.txt",
]
ALICE_OWN_PREFIXES = [f"{DAY}/principal={ALICE}/", f"{DAY}/principal={ALICE}/device=d/"]
NOT_ALICES_PREFIXES = [None, "", "audit/v1/", f"{DAY}/", f"{DAY}/principal={BOB}/",
                       f"{DAY}/principal={BOB}/device=d/principal={ALICE}/", f"{DAY}/principal=AROA"]


def iam_like(pattern, value, userid):
    """IAM's matching of a Resource or StringLike value: `*` any run of characters (a "/"
    included), `?` exactly one, ${aws:userid} the caller's user id."""
    if value is None:
        return False
    marker = "\x00"
    p = pattern.replace("${!aws:userid}", marker).replace("${aws:userid}", marker)
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(userid) if c == marker
                    else re.escape(c) for c in p)
    return re.fullmatch(regex, value, re.S) is not None


def names_writer(stmt, writer):
    who = as_list(stmt.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn", []))
    return any(writer in str(w) for w in who)


def audit_writers_are_denied_other_keys(t):
    """The Deny statements alone (IAM policies elsewhere cannot lift them) keep every writer to
    audit/v1/dt=<day>/principal=<its own aws:userid>/: no other key to put or get, no listing
    outside it or without a prefix."""
    stmts = statements(t["Resources"]["AuditBucketPolicy"]["Properties"])
    objects = sid(stmts, "WritersTouchOnlyTheirOwnKeys")
    assert objects["Effect"] == "Deny" and objects["Principal"] == "*", "the key rule must deny everyone named"
    assert {"s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"} <= set(as_list(objects["Action"])), \
        f"the key rule leaves object actions open: {objects['Action']}"
    assert set(objects["Condition"]) == {"ArnLike"} and set(objects["Condition"]["ArnLike"]) == {"aws:PrincipalArn"}, \
        f"the key rule has conditions a writer could miss: {objects['Condition']}"
    assert all(names_writer(objects, w) for w in AUDIT_WRITERS), "the key rule leaves out a writer"
    allowed = [sub_text(r) for r in as_list(objects["NotResource"])]
    arn = "${AuditBucket.Arn}/"
    for key in ALICE_OWN_KEYS:
        assert any(iam_like(r, arn + key, ALICE) for r in allowed), f"a writer is denied its own key {key}"
    for key in NOT_ALICES_KEYS:
        assert not any(iam_like(r, arn + key, ALICE) for r in allowed), \
            f"a writer may reach {key} of someone else: {allowed}"
    listing = sid(stmts, "WritersListOnlyTheirOwnKeys")
    assert listing["Effect"] == "Deny" and listing["Principal"] == "*"
    assert {"s3:ListBucket", "s3:ListBucketVersions"} <= set(as_list(listing["Action"])), \
        f"the listing rule leaves listings open: {listing['Action']}"
    assert listing["Resource"] == {"Fn::GetAtt": ["AuditBucket", "Arn"]}
    cond = listing["Condition"]
    assert set(cond) == {"ArnLike", "StringNotLike"} and set(cond["StringNotLike"]) == {"s3:prefix"}, \
        f"the listing rule has conditions a writer could miss: {cond}"
    assert all(names_writer(listing, w) for w in AUDIT_WRITERS), "the listing rule leaves out a writer"
    own = as_list(cond["StringNotLike"]["s3:prefix"])
    for prefix in ALICE_OWN_PREFIXES:
        assert any(iam_like(o, prefix, ALICE) for o in own), f"a writer may not list its own {prefix}"
    for prefix in NOT_ALICES_PREFIXES:
        # StringNotLike holds for a missing key, so a listing without a prefix is denied too.
        assert not any(iam_like(o, prefix, ALICE) for o in own), f"a writer may list {prefix!r}"


def audit_writers_never_delete(t):
    """No writer deletes or unlocks an audit object, its own included: a delete marker would hide
    it from listings and Athena although Object Lock keeps the version."""
    stmts = statements(t["Resources"]["AuditBucketPolicy"]["Properties"])
    s = sid(stmts, "WritersNeverDelete")
    assert s["Effect"] == "Deny" and s["Principal"] == "*"
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold"} <= set(
        as_list(s["Action"])), f"writers may still remove: {s['Action']}"
    assert sub_text(s["Resource"]) == "${AuditBucket.Arn}/audit/v1/*", f"only part of the store: {s['Resource']}"
    assert set(s["Condition"]) == {"ArnLike"} and all(names_writer(s, w) for w in AUDIT_WRITERS), \
        "the rule leaves out a writer"
    objects = sid(stmts, "WritersTouchOnlyTheirOwnKeys")
    assert {"s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging",
            "s3:DeleteObjectVersionTagging", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"} <= set(
        as_list(objects["Action"])), \
        f"writers may tag or re-permission others' objects: {objects['Action']}"


def permission_set_names_cannot_overlap(t):
    """Roles are matched as AWSReservedSSO_<name>_*: with "_" allowed in a name, an analyst set
    named "Warden" would also match the roles of an auditor set "Warden_Auditor"."""
    import re
    for name in ("AnalystPermissionSetName", "ApproverPermissionSetName", "AuditorPermissionSetName"):
        pattern = t["Parameters"][name]["AllowedPattern"]
        assert re.fullmatch(pattern, "WardenAnalyst"), f"{name} refuses a plain name"
        assert not re.fullmatch(pattern, "Warden_Auditor"), f"{name} allows '_', so names can overlap"


def audit_writers_are_allowed_only_their_own(t):
    """No Allow (bucket policy or the broker's role) grants a writer more than its own keys."""
    stmts = statements(t["Resources"]["AuditBucketPolicy"]["Properties"])
    broker = statements(t["Resources"]["BrokerPermissions"]["Properties"])
    granted = [s for s in stmts if s.get("Effect") == "Allow" and any(names_writer(s, w) for w in AUDIT_WRITERS)]
    granted += [s for s in broker if s.get("Effect") == "Allow" and any(
        "AuditBucket" in str(r) for r in as_list(s.get("Resource", [])))]
    assert granted, "writers cannot append to the audit store"
    appends = lists = 0
    for s in granted:
        actions = set(as_list(s["Action"]))
        if actions & {"s3:PutObject", "s3:GetObject"}:
            appends += 1
            for r in as_list(s["Resource"]):
                assert sub_text(r) == OWN_OBJECTS, f"{s['Sid']} grants a writer {sub_text(r)}"
        if "s3:ListBucket" in actions:
            lists += 1
            prefixes = as_list(s.get("Condition", {}).get("StringLike", {}).get("s3:prefix", []))
            assert prefixes == [OWN_PREFIX], f"{s['Sid']} lets a writer list {prefixes or 'everything'}"
        assert actions <= {"s3:PutObject", "s3:GetObject", "s3:ListBucket"}, f"{s['Sid']} grants {actions}"
    assert appends >= 2 and lists >= 2, "devices or the broker cannot append to and list their own keys"


def auditors_read_everything(t):
    stmts = statements(t["Resources"]["AuditBucketPolicy"]["Properties"])
    s = sid(stmts, "AuditorsReadEverything")
    assert s["Effect"] == "Allow" and set(as_list(s["Action"])) == {"s3:GetObject", "s3:ListBucket"}, \
        f"auditors must read and list, nothing more: {s['Action']}"
    assert names_writer(s, "AuditorPermissionSetName"), "the auditors' statement names someone else"
    assert "Condition" in s and set(s["Condition"]) == {"ArnLike"}, "auditors may list only part of the store"
    resources = [sub_text(r) if not isinstance(r, dict) or "Fn::Sub" in r else r for r in as_list(s["Resource"])]
    assert "${AuditBucket.Arn}/audit/v1/*" in resources, f"auditors cannot read every object: {resources}"
    for rule in ("WritersTouchOnlyTheirOwnKeys", "WritersListOnlyTheirOwnKeys"):
        assert not names_writer(sid(stmts, rule), "AuditorPermissionSetName"), f"{rule} denies auditors"


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
    audit_writers_are_denied_other_keys,
    audit_writers_never_delete,
    permission_set_names_cannot_overlap,
    audit_writers_are_allowed_only_their_own,
    auditors_read_everything,
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
    elif check is audit_writers_are_denied_other_keys:
        # The day as a wildcard that spans folders: Alice could write under Bob's prefix.
        sid(statements(r["AuditBucketPolicy"]["Properties"]), "WritersTouchOnlyTheirOwnKeys")[
            "NotResource"] = {"Fn::Sub": "${AuditBucket.Arn}/audit/v1/dt=*/principal=${!aws:userid}/*"}
    elif check is audit_writers_never_delete:
        s = sid(statements(r["AuditBucketPolicy"]["Properties"]), "WritersNeverDelete")
        s["Action"] = [a for a in as_list(s["Action"]) if a != "s3:DeleteObject"]
    elif check is permission_set_names_cannot_overlap:
        b["Parameters"]["AuditorPermissionSetName"]["AllowedPattern"] = "^[A-Za-z0-9_+=,.@-]{1,32}$"
    elif check is audit_writers_are_allowed_only_their_own:
        # The listing as it was before keys named their writer.
        sid(statements(r["AuditBucketPolicy"]["Properties"]), "DevicesListTheirOwnDay")[
            "Condition"]["StringLike"]["s3:prefix"] = "audit/v1/*"
    elif check is auditors_read_everything:
        s = sid(statements(r["AuditBucketPolicy"]["Properties"]), "AuditorsReadEverything")
        s["Resource"] = [{"Fn::GetAtt": ["AuditBucket", "Arn"]}]
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
