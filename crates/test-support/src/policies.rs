//! The small policies (YAML) that tests of several crates share. Each is a fixture other tests
//! and snapshots depend on word for word: the policy's `name` shows in bundle and broker output,
//! so change one only together with the snapshots that print it. A policy that only one test
//! file needs stays in that file.

/// `sales.customers` with `customer_id` readable and `email` personal data behind the
/// `pii-read` elevation (no approval rules): what the CLI's lint, bundle and query tests check
/// verdicts against.
pub const PII_READ: &str = r#"format: warden-policy/1
name: cli-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii] }
elevations:
  pii-read: { description: Read personal data }
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }
"#;

/// Two elevations for the broker: `pii-read` approved by hand (justification required, ticket
/// `INC-<n>`), `large-scan` granted automatically. The broker's own tests give the AWS side
/// (roles, workgroups) in a `BrokerConfig`.
pub const ELEVATIONS: &str = r#"
format: warden-policy/1
name: broker-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            email: { type: varchar, tags: [pii] }
elevations:
  pii-read:
    description: Read personal data
    max_duration: 1h
    default_duration: 15m
    approval: manual
    justification: required
    ticket_pattern: "INC-[0-9]+"
  large-scan:
    description: Scan more
    max_duration: 1h
    default_duration: 30m
    approval: auto
    justification: optional
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read] }
"#;

/// [`ELEVATIONS`] as a signed bundle carries them to `warden broker run`: each elevation names
/// its AWS role (and `pii-read` its workgroup and session policy). No ticket pattern, so a
/// request from the command line needs no ticket.
pub const ELEVATIONS_ON_AWS: &str = r#"format: warden-policy/1
name: broker-cli
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            email: { type: varchar, tags: [pii] }
elevations:
  pii-read:
    description: Read personal data
    max_duration: 1h
    default_duration: 15m
    approval: manual
    justification: required
    aws:
      role_arn: arn:aws:iam::123456789012:role/warden-pii-read
      workgroup: warden-pii-read
      session_policy: { Statement: [{ Effect: Allow, Action: "athena:*", Resource: "*" }] }
  large-scan:
    description: Scan more
    max_duration: 1h
    approval: auto
    justification: optional
    aws: { role_arn: "arn:aws:iam::123456789012:role/warden-large-scan" }
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }
"#;
