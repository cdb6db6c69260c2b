use super::*;
use crate::report::Severity;

pub(crate) const EXAMPLE: &str = r#"format: warden-policy/1
name: acme-analytics
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii] }
            ssn: { type: varchar, tags: [restricted] }
          stats: { size_bytes: 2000000000 }
        orders:
          columns: { order_id: bigint, customer_id: bigint, card_number: { type: varchar, tags: [restricted] }, dt: varchar }
          partition_keys: [dt]
          stats: { size_bytes: 800000000000, partitions: 1000 }
elevations:
  pii-read:
    description: Read columns tagged pii
    max_duration: 1h
    default_duration: 15m
    approval: auto
    justification: required
    ticket_pattern: '^(INC|SUP)-[0-9]+$'
  large-scan:
    description: Scan more than the budget
rules:
  - { id: read-only, kind: statement_class, allow: [query, explain, show, describe], severity: error }
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read],
      message: "{column} is personal data: request the pii-read elevation" }
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error }
  - { id: orders-partition, kind: require_partition_filter, tables: [sales.orders], severity: error }
  - { id: scan-budget, kind: max_scan_bytes, limit: 1TB, severity: error, unlocked_by: [large-scan] }
"#;

fn error_of(text: &str) -> String {
    match Policy::from_yaml(text) {
        Ok(_) => panic!("policy was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_issue_example_loads() {
    let p = Policy::from_yaml(EXAMPLE).expect("example policy");
    assert_eq!(p.name(), "acme-analytics");
    assert_eq!(p.fingerprint().len(), 64);
    let orders = p.catalog().table("SALES", "Orders").expect("orders");
    assert_eq!(orders.partition_keys, vec!["dt"]);
    assert_eq!(orders.partitions, Some(1000));
    assert_eq!(
        orders
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["order_id", "customer_id", "card_number", "dt"]
    );
    let e = p.elevation("pii-read").expect("pii-read");
    assert_eq!(e.max_duration, Duration::from_secs(3600));
    assert_eq!(e.default_duration, Duration::from_secs(900));
    assert_eq!(e.approval, Approval::Auto);
    let large = p.elevation("large-scan").expect("large-scan");
    assert_eq!(
        large.approval,
        Approval::Manual,
        "approval defaults to manual"
    );
    assert_eq!(
        p.rule_ids(),
        [
            "read-only",
            "pii",
            "restricted",
            "orders-partition",
            "scan-budget"
        ]
    );
    assert_eq!(scan_limit(&p.rules[4]), 1_000_000_000_000);
}

#[test]
fn unknown_top_level_key_has_its_place() {
    let text = EXAMPLE.replace("name: acme-analytics", "name: acme-analytics\nowner: me");
    let e = error_of(&text);
    assert!(e.contains("line 3, column 1"), "{e}");
    assert!(e.contains("unknown field `owner`"), "{e}");
}

#[test]
fn unknown_rule_key_has_its_place() {
    let text = EXAMPLE.replace(
        "tags: [restricted], severity",
        "tagz: [restricted], severity",
    );
    let e = error_of(&text);
    assert!(e.contains("line 31"), "{e}");
    assert!(e.contains("tagz"), "{e}");
}

#[test]
fn unknown_kind_says_which_kinds_exist() {
    let text = EXAMPLE.replace("kind: statement_class", "kind: statment_class");
    let e = error_of(&text);
    assert!(e.contains("line 28, column 28"), "{e}");
    assert!(
        e.contains("statment_class") && e.contains("statement_class"),
        "{e}"
    );
}

#[test]
fn unknown_elevation_reference_has_its_place() {
    let text = EXAMPLE.replace("unlocked_by: [pii-read]", "unlocked_by: [pii-reed]");
    let e = error_of(&text);
    assert!(e.contains("line 29, column 86"), "{e}");
    assert!(e.contains("pii-reed"), "{e}");
}

#[test]
fn unknown_tag_reference_has_its_place() {
    let text = EXAMPLE.replace("tags: [pii], severity", "tags: [PII], severity");
    let e = error_of(&text);
    assert!(e.contains("line 29, column 49"), "{e}");
    assert!(e.contains("\"PII\""), "{e}");
}

#[test]
fn key_of_another_kind_is_refused() {
    let text = EXAMPLE.replace(
        "kind: max_scan_bytes, limit: 1TB",
        "kind: max_scan_bytes, limit: 1TB, tags: [pii]",
    );
    let e = error_of(&text);
    assert!(
        e.contains("key tags does not apply to kind max_scan_bytes"),
        "{e}"
    );
    assert!(e.contains("line 33"), "{e}");
}

#[test]
fn bad_size_and_duration_units_have_their_place() {
    let e = error_of(&EXAMPLE.replace("limit: 1TB", "limit: 1TX"));
    assert!(e.contains("line 33") && e.contains("unknown unit"), "{e}");
    let e = error_of(&EXAMPLE.replace("max_duration: 1h", "max_duration: 1d"));
    assert!(
        e.contains("line 20, column 19") && e.contains("s, m or h"),
        "{e}"
    );
    let e = error_of(&EXAMPLE.replace("default_duration: 15m", "default_duration: 2h"));
    assert!(e.contains("longer than its max_duration"), "{e}");
}

#[test]
fn binary_units_are_accepted_in_stats_and_limits() {
    let text = EXAMPLE
        .replace("limit: 1TB", "limit: 2 TiB")
        .replace("size_bytes: 2000000000", "size_bytes: 2GB");
    let p = Policy::from_yaml(&text).expect("loads");
    assert_eq!(scan_limit(&p.rules[4]), 2 << 40);
    assert_eq!(
        p.catalog()
            .table("sales", "customers")
            .and_then(|t| t.size_bytes),
        Some(2_000_000_000)
    );
}

#[test]
fn unknown_table_and_partition_key_are_refused() {
    let e = error_of(&EXAMPLE.replace("tables: [sales.orders]", "tables: [sales.ordres]"));
    assert!(
        e.contains("line 32, column 70") && e.contains("sales.ordres is not in the catalog"),
        "{e}"
    );
    let e = error_of(&EXAMPLE.replace("partition_keys: [dt]", "partition_keys: [day]"));
    assert!(
        e.contains("line 15, column 28") && e.contains("partition key day"),
        "{e}"
    );
}

#[test]
fn wrong_format_duplicate_ids_and_reserved_ids_are_refused() {
    let e = error_of(&EXAMPLE.replace("warden-policy/1", "warden-policy/2"));
    assert!(e.contains("line 1, column 9"), "{e}");
    let e = error_of(&EXAMPLE.replace("id: restricted,", "id: pii,"));
    assert!(e.contains("used twice"), "{e}");
    let e = error_of(&EXAMPLE.replace("id: restricted,", "id: unresolved,"));
    assert!(e.contains("reserved"), "{e}");
}

#[test]
fn bad_ticket_pattern_and_enum_values_are_refused() {
    let e = error_of(&EXAMPLE.replace("'^(INC|SUP)-[0-9]+$'", "'^(INC'"));
    assert!(e.contains("line 24") && e.contains("unclosed group"), "{e}");
    let e = error_of(&EXAMPLE.replace("max_duration: 1h", "max_duration: 3000000000h"));
    assert!(
        e.contains("at most 168h") && e.contains("line 20, column 19"),
        "{e}"
    );
    let e = error_of(&EXAMPLE.replace("approval: auto", "approval: sometimes"));
    assert!(e.contains("line 22, column 15"), "{e}");
    let e = error_of(&EXAMPLE.replace(
        "severity: error }\n  - { id: pii",
        "severity: fatal }\n  - { id: pii",
    ));
    assert!(e.contains("fatal") && e.contains("line 28"), "{e}");
}

#[test]
fn malformed_column_and_syntax_errors_are_explained() {
    let e = error_of(&EXAMPLE.replace("{ type: varchar, tags: [pii] }", "{ typ: varchar }"));
    assert!(
        e.contains("line 9") && e.contains("a column is either a type"),
        "{e}"
    );
    let e = error_of("format: warden-policy/1\nname: [unclosed\n");
    assert!(e.contains("line"), "{e}");
    let e = error_of("");
    assert!(!e.is_empty());
}

#[test]
fn duplicate_names_are_refused() {
    let e = error_of(&EXAMPLE.replace(
        "customer_id: bigint\n            email",
        "customer_id: bigint\n            Customer_ID: bigint\n            email",
    ));
    assert!(e.contains("appears twice"), "{e}");
}

#[test]
fn every_rule_kind_loads() {
    let text = format!(
        "{EXAMPLE}  - {{ id: one, kind: single_statement }}
  - {{ id: objects, kind: object_allowlist, databases: [sales], tables: [other.t] }}
  - {{ id: tenant, kind: required_row_predicate, tables: [sales.orders], column: customer_id }}
  - {{ id: star, kind: select_star, severity: warning }}
  - {{ id: limit, kind: require_limit, max_rows: 5000 }}
  - {{ id: cross, kind: cross_join }}
  - {{ id: export, kind: export_destination, allow_prefixes: ['s3://exports/'] }}
  - {{ id: functions, kind: blocked_functions, functions: [reflect] }}
  - {{ id: writes, kind: unbounded_write }}
  - {{ id: order, kind: order_by_without_limit }}
  - {{ id: nulls, kind: null_comparison, severity: info }}
"
    );
    let p = Policy::from_yaml(&text).expect("loads");
    assert_eq!(p.rules.len(), 16);
    assert_eq!(
        p.rules[14].severity,
        Severity::Warning,
        "hints default to warning"
    );
    assert_eq!(p.rules[15].severity, Severity::Info);
    let e = error_of(&format!("{EXAMPLE}  - {{ id: tenant, kind: required_row_predicate, tables: [sales.orders], column: tenant_id }}\n"));
    assert!(e.contains("has no column tenant_id"), "{e}");
    let e = error_of(&format!(
        "{EXAMPLE}  - {{ id: limit, kind: require_partition_filter }}\n"
    ));
    assert!(e.contains("needs the key tables"), "{e}");
}

#[test]
fn audit_sql_text_defaults_to_full_and_accepts_hash_only() {
    assert_eq!(
        Policy::from_yaml(EXAMPLE)
            .expect("example")
            .audit_sql_text(),
        SqlText::Full
    );
    let hashed = format!("{EXAMPLE}audit: {{ sql_text: hash }}\n");
    assert_eq!(
        Policy::from_yaml(&hashed)
            .expect("hash only")
            .audit_sql_text(),
        SqlText::Hash
    );
    let wrong = format!("{EXAMPLE}audit: {{ sql_text: redacted }}\n");
    let message = error_of(&wrong);
    assert!(message.contains("redacted"), "{message}");
}

#[test]
fn audit_max_unsynced_is_a_duration_and_unbounded_by_default() {
    assert_eq!(
        Policy::from_yaml(EXAMPLE)
            .expect("example")
            .audit_max_unsynced(),
        None
    );
    let bounded = format!("{EXAMPLE}audit: {{ max_unsynced: 15m }}\n");
    assert_eq!(
        Policy::from_yaml(&bounded)
            .expect("15 minutes")
            .audit_max_unsynced(),
        Some(Duration::from_secs(900))
    );
    let wrong = format!("{EXAMPLE}audit: {{ max_unsynced: soon }}\n");
    let message = error_of(&wrong);
    assert!(
        message.contains("\"soon\"") && message.contains("15m"),
        "{message}"
    );
}

fn scan_limit(rule: &crate::policy::Rule) -> u64 {
    let any = rule.kind.as_any();
    any.downcast_ref::<crate::rules::max_scan_bytes::MaxScanBytes>()
        .expect("a max_scan_bytes rule")
        .limit
}

/// The example with pii-read mapped onto AWS; `aws` replaces the mapping's lines.
fn with_aws(aws: &str) -> String {
    EXAMPLE.replace(
        "    ticket_pattern: '^(INC|SUP)-[0-9]+$'\n",
        &format!(
            "    ticket_pattern: '^(INC|SUP)-[0-9]+$'\n    approver_group: Data approvers\n{aws}"
        ),
    )
}

const PII_AWS: &str = r#"    aws:
      role_arn: arn:aws:iam::123456789012:role/warden-pii-read
      workgroup: warden-pii-read
      session_policy:
        Statement:
          - { Effect: Allow, Action: ["athena:*"], Resource: "*" }
"#;

#[test]
fn an_elevation_maps_onto_an_aws_role_and_an_approver_group() {
    let p = Policy::from_yaml(&with_aws(PII_AWS)).expect("mapped policy");
    let pii = p.elevation("pii-read").expect("pii-read");
    assert_eq!(pii.approver_group.as_deref(), Some("Data approvers"));
    let aws = pii.aws.as_ref().expect("aws mapping");
    assert_eq!(aws.workgroup.as_deref(), Some("warden-pii-read"));
    assert_eq!(
        aws.target,
        AwsTarget::Role {
            role_arn: "arn:aws:iam::123456789012:role/warden-pii-read".into(),
            session_policy: Some(
                serde_json::json!({"Statement": [{"Effect": "Allow", "Action": ["athena:*"], "Resource": "*"}]})
            ),
        }
    );
    assert_eq!(
        aws.role_arn(),
        Some("arn:aws:iam::123456789012:role/warden-pii-read")
    );
    assert!(aws.permission_set().is_none());
    let large = p.elevation("large-scan").expect("large-scan");
    assert!(large.aws.is_none() && large.approver_group.is_none());

    // The policy document pasted as JSON text reads the same.
    let json_text = "    aws:\n      role_arn: arn:aws:iam::123456789012:role/warden-pii-read\n      session_policy: |\n        {\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"athena:*\"], \"Resource\": \"*\"}]}\n";
    let p2 = Policy::from_yaml(&with_aws(json_text)).expect("JSON text");
    assert_eq!(
        p2.elevation("pii-read")
            .unwrap()
            .aws
            .as_ref()
            .map(|a| &a.target),
        Some(&aws.target)
    );
}

#[test]
fn a_bad_aws_mapping_is_refused_at_its_place() {
    let e = error_of(&with_aws(
        &PII_AWS.replace("123456789012:role/", "123456789012:user/"),
    ));
    assert!(
        e.contains("line 27, column 17")
            && e.contains("elevations.pii-read.aws.role_arn: \"arn:aws:iam::123456789012:user/warden-pii-read\" is not an IAM role ARN"),
        "{e}"
    );
    let e = error_of(&with_aws(&PII_AWS.replace("Effect: Allow, ", "")));
    assert!(
        e.contains("line 30")
            && e.contains("elevations.pii-read.aws.session_policy: statement 0 has no Effect"),
        "{e}"
    );
    let e = error_of(&with_aws(
        "    aws:\n      role_arn: arn:aws:iam::123456789012:role/r\n      session_policy: [athena]\n",
    ));
    assert!(
        e.contains("session_policy: it is a list, not a JSON object"),
        "{e}"
    );
    let e = error_of(&with_aws(
        &PII_AWS.replace("workgroup: warden-pii-read", "workgroup: pii read"),
    ));
    assert!(
        e.contains("line 28") && e.contains("not an Athena workgroup name"),
        "{e}"
    );
    let e = error_of(&with_aws("    aws: { workgroup: w }\n"));
    assert!(e.contains("role_arn"), "{e}");
    let e = error_of(&with_aws(
        "    aws: { role_arn: arn:aws:iam::123456789012:role/r, permission_set_arn: p }\n",
    ));
    assert!(
        e.contains("line 26")
            && e.contains("elevations.pii-read.aws.permission_set_arn: give either role_arn (STS mode) or permission_set_arn (Identity Center mode), not both"),
        "{e}"
    );
    let e = error_of(&with_aws(
        "    aws:\n      role_arn: arn:aws:iam::123456789012:role/r\n      account_id: \"123456789012\"\n",
    ));
    assert!(
        e.contains("line 28")
            && e.contains("aws.account_id: only the Identity Center mode (permission_set_arn) takes account_id"),
        "{e}"
    );
    let e =
        error_of(&with_aws("").replace("approver_group: Data approvers", "approver_group: \"\""));
    assert!(
        e.contains("line 25") && e.contains("approver_group of elevation pii-read"),
        "{e}"
    );
}

const PS_ARN: &str = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";

/// `pii-read` in the Identity Center mode, with `extra` lines under `aws`.
fn with_permission_set(extra: &str) -> String {
    with_aws(&format!(
        "    aws:\n      permission_set_arn: {PS_ARN}\n      account_id: 123456789012\n{extra}"
    ))
}

#[test]
fn an_elevation_maps_onto_a_permission_set_in_the_identity_center_mode() {
    let p = Policy::from_yaml(&with_permission_set(
        "      instance_arn: arn:aws:sso:::instance/ssoins-0123456789abcdef\n      role_name: PiiRead\n      workgroup: warden-pii-read\n",
    ))
    .expect("Identity Center mapping");
    let aws = p.elevation("pii-read").unwrap().aws.clone().unwrap();
    assert_eq!(
        aws,
        AwsGrant {
            target: AwsTarget::PermissionSet(crate::policy::PermissionSetGrant {
                permission_set_arn: PS_ARN.into(),
                account_id: "123456789012".into(),
                instance_arn: Some("arn:aws:sso:::instance/ssoins-0123456789abcdef".into()),
                role_name: Some("PiiRead".into()),
            }),
            workgroup: Some("warden-pii-read".into()),
        }
    );
    assert_eq!(aws.role_arn(), None);
    // The instance and the role name are optional; a quoted account reads the same.
    let p = Policy::from_yaml(
        &with_permission_set("")
            .replace("account_id: 123456789012", "account_id: \"012345678901\""),
    )
    .expect("minimal Identity Center mapping");
    let ps = p.elevation("pii-read").unwrap().aws.clone().unwrap();
    let ps = ps.permission_set().unwrap();
    assert_eq!(ps.account_id, "012345678901");
    assert_eq!(
        (ps.instance_arn.as_deref(), ps.role_name.as_deref()),
        (None, None)
    );
}

#[test]
fn a_bad_identity_center_mapping_is_refused_at_its_place() {
    let cases = [
        (
            with_permission_set("").replace("ps-0123456789abcdef", "ps-1"),
            "line 27, column 27",
            "elevations.pii-read.aws.permission_set_arn: \"arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-1\" is not a permission set ARN",
        ),
        (
            with_permission_set("").replace("account_id: 123456789012", "account_id: 12345"),
            "line 28, column 19",
            "elevations.pii-read.aws.account_id: \"12345\" is not an AWS account id: give its 12 digits",
        ),
        (
            with_permission_set("").replace("      account_id: 123456789012\n", ""),
            "line 27",
            "aws.permission_set_arn: the Identity Center mode needs account_id too",
        ),
        (
            with_permission_set("      instance_arn: arn:aws:sso:::instance/ssoins-fedcba9876543210\n"),
            "line 29",
            "aws.instance_arn: it is instance ssoins-fedcba9876543210, but the permission set belongs to ssoins-0123456789abcdef",
        ),
        (
            with_permission_set("      instance_arn: ssoins-0123456789abcdef\n"),
            "line 29",
            "is not an IAM Identity Center instance ARN",
        ),
        (
            with_permission_set("      role_name: Pii Read\n"),
            "line 29",
            "aws.role_name: \"Pii Read\" is not a permission set name",
        ),
        (
            with_permission_set("      session_policy: { Statement: [] }\n"),
            "line 29",
            "aws.session_policy: the Identity Center mode takes no session policy",
        ),
        (
            with_permission_set("      iam_role: x\n"),
            "line 29",
            "unknown field `iam_role`",
        ),
    ];
    for (text, at, says) in cases {
        let e = error_of(&text);
        assert!(
            e.contains(at) && e.contains(says),
            "expected {at}: {says}\ngot {e}"
        );
    }
}
