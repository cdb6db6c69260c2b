use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Warden: guarded SQL for Amazon Athena.
///
/// Lints SQL against a policy's guardrails, runs queries through the one gate that enforces
/// them, and manages workspaces. With no AWS account configured everything runs on the embedded
/// demo workspace.
#[derive(Debug, Parser)]
#[command(name = "warden", version, propagate_version = true)]
pub struct Cli {
    /// Keep all of Warden's state for this run (configuration, data, cache) under DIR.
    /// Defaults to $WARDEN_HOME, then the platform's directories (XDG on Linux).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Log what Warden does to stderr: -v for each step (a run, a fetch, a sync), -vv for detail.
    /// Without it only warnings are logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a query through the gate and print its rows.
    ///
    /// The query is linted against the workspace's policy first; it runs only when the verdict is
    /// "allow". A `?` in the text is a parameter: give its value with --param, one per `?` in
    /// order, each one literal ('text', 42, DATE '2024-01-31', TRUE); the verdict holds for any
    /// values, and the values are checked and linted in place before the query runs. Exit
    /// status: 0 rows printed, 1 not allowed (a refused value included) or the query failed,
    /// 2 usage or configuration error.
    ///
    /// Example: warden query "SELECT count(*) FROM sales.orders WHERE dt = ?" --param "'2024-01-31'"
    Query(QueryArgs),
    /// Check SQL files against a policy, like a compiler or linter.
    ///
    /// The policy is a file (--policy), a signed bundle (--bundle with --trust), or else the
    /// verified bundle in force in the workspace. Exit status: 0 every file's verdict is allow,
    /// 1 any file needs an elevation or is denied, 2 usage or policy error, or a bundle that does
    /// not verify (message on stderr).
    Lint(LintArgs),
    /// Sign, verify and publish policy bundles (for the security team).
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// Create or describe workspaces.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Write parts of a policy from what the data platform says (for administrators).
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Read, verify and sync the tamper-evident audit journal.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Decide requests for elevations that need an approver (for approvers).
    Elevation {
        #[command(subcommand)]
        command: ElevationCommand,
    },
    /// Run the elevation broker of an AWS workspace (for the platform team: a service or a
    /// scheduled task with its own role).
    Broker {
        #[command(subcommand)]
        command: BrokerCommand,
    },
    /// Sign in to IAM Identity Center for an AWS (athena) workspace. Opens the browser; with
    /// --device-code shows a code to approve on any device instead (SSH, containers).
    Login(LoginArgs),
    /// Sign out: tells the access portal and deletes every secret of the workspace from the OS
    /// keyring.
    Logout(IdentityArgs),
    /// Who is signed in: identity, account, role and when the sign-in and credentials expire.
    /// Exit 1 when signed out.
    Whoami(WhoamiArgs),
    /// Print AWS credentials as `credential_process` JSON (Version 1), for a profile with
    /// `credential_process = warden credentials --workspace W`. Exit 1 when signed out or the
    /// elevation is not held.
    Credentials(CredentialsArgs),
}

#[derive(Debug, Args)]
pub struct IdentityArgs {
    /// Workspace name (default: the configured default).
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub ws: IdentityArgs,
    /// Use the device-authorization flow: a code to enter on any device, no local browser.
    #[arg(long)]
    pub device_code: bool,
}

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    #[command(flatten)]
    pub ws: IdentityArgs,
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    pub format: InfoFormat,
}

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    /// Workspace name.
    #[arg(long, value_name = "NAME")]
    pub workspace: String,
    /// The credentials of an elevation instead of the baseline role.
    #[arg(long, value_name = "NAME")]
    pub elevation: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BrokerCommand {
    /// Decide elevation requests in the workspace's request bucket, mint and deliver
    /// credentials for grants, and end them, a pass every --interval until Ctrl+C (or SIGTERM).
    ///
    /// It verifies the workspace's signed policy bundle like every client and takes its AWS
    /// credentials from the default chain (instance or task role; AWS_* variables). With --once
    /// it makes one pass and prints what it did: exit 0 when the pass went through, 1 when some
    /// request could not be handled or no policy is in force, 2 when the broker cannot start.
    Run(BrokerRunArgs),
}

#[derive(Debug, Args)]
pub struct BrokerRunArgs {
    /// Workspace (kind athena) whose requests to decide (default: the configured default).
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// One pass, then exit (for a scheduler).
    #[arg(long)]
    pub once: bool,
    /// Time between passes (1s to 1h).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5s",
        conflicts_with = "once"
    )]
    pub interval: String,
}

#[derive(Debug, Subcommand)]
pub enum ElevationCommand {
    /// Ask for an elevation on an AWS workspace (kind athena): checked against the policy in
    /// force, sent to the workspace's request bucket for its broker, with a key made for this
    /// request (kept only in the OS keyring) that the granted credentials are encrypted to.
    /// Needs your sign-in (`warden login`). With --wait, waits for the decision and keeps the
    /// credentials in the keyring for `warden query --elevation NAME`. Exit 0 when sent (with
    /// --wait: granted), 1 when refused, denied or still waiting at --timeout.
    Request {
        /// The elevation's name in the policy (`pii-read`).
        name: String,
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// How long, such as 15m or 1h (default: the policy's default duration).
        #[arg(long, value_name = "DURATION")]
        duration: Option<String>,
        /// Why (required unless the policy makes it optional).
        #[arg(long, value_name = "TEXT", default_value = "")]
        justification: String,
        /// A ticket reference, when the policy asks for one.
        #[arg(long, value_name = "TICKET")]
        ticket: Option<String>,
        /// Wait until the request is granted (and its credentials kept) or denied.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits at most (up to 1h).
        #[arg(
            long,
            value_name = "DURATION",
            default_value = "10m",
            requires = "wait"
        )]
        timeout: String,
    },
    /// Ask for more time on elevation NAME, held on this machine, on an AWS workspace (kind
    /// athena): an extension request linked to the grant in the OS keyring, approved by the same
    /// rules as a request (the policy, or another approver). The grant keeps its id and runs on
    /// to its current end meanwhile; once the broker extends it, it ends at the new end (at most
    /// the policy's maximum from now) and the broker's fresh credentials are taken. Exit 0 when
    /// sent (with --wait: extended), 1 when refused, denied or still waiting at --timeout.
    /// Example: warden elevation extend pii-read --duration 15m --justification "case 7" --wait
    Extend {
        /// The held elevation's name (`pii-read`).
        name: String,
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// How much longer, such as 15m (default: the policy's default duration).
        #[arg(long, value_name = "DURATION")]
        duration: Option<String>,
        /// Why (required unless the policy makes it optional).
        #[arg(long, value_name = "TEXT", default_value = "")]
        justification: String,
        /// A ticket reference, when the policy asks for one.
        #[arg(long, value_name = "TICKET")]
        ticket: Option<String>,
        /// Wait until the grant is extended (and its new credentials kept) or the extension denied.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits at most (up to 1h).
        #[arg(
            long,
            value_name = "DURATION",
            default_value = "10m",
            requires = "wait"
        )]
        timeout: String,
    },
    /// Your elevation requests on an AWS workspace and the grants you hold: each request made
    /// from this machine is checked with the broker, and credentials delivered for a grant are
    /// taken into the OS keyring.
    Status {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
    },
    /// End elevation NAME on an AWS workspace before its time: the broker is told (it mints no
    /// more credentials for it) and its credentials are deleted from the OS keyring; a request
    /// still waiting is withdrawn. Exit 0 when ended, 1 when nothing of that name is held or
    /// waiting here, or the broker could not be told (the credentials are deleted anyway).
    End {
        /// The elevation's name (`pii-read`).
        name: String,
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
    },
    /// List the requests waiting for a decision, oldest first. On an AWS workspace (kind
    /// athena) they are read from the request bucket with your sign-in (`warden login`):
    /// requester, elevation, duration, how long ago, ticket and justification.
    List {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
    /// Approve request ID: the requester's app grants the duration asked (capped by the policy)
    /// when it sees the approval; an app that has quit or withdrawn the request grants nothing.
    /// On an AWS workspace the approval is written under your own sign-in's prefix in the
    /// request bucket and the broker grants it at its next pass if you may approve. Exit 1
    /// when it was already decided or is your own request, 2 for an unknown id or no sign-in.
    /// Example: warden elevation approve 01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00 --workspace prod
    Approve {
        /// The request id (`warden elevation list` shows it).
        id: String,
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// A note for the requester and the record.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Revoke grant ID on an AWS workspace (kind athena), saying why: the broker ends it at its
    /// next pass and mints no more credentials for it (those issued die at AWS at the latest at
    /// the grant's end). An approver may revoke a grant they approved; the requester ends their
    /// own. Needs your sign-in (`warden login`). Exit 1 when ID is not a grant that holds or you
    /// revoked it already, 2 for an unknown id.
    Revoke {
        id: String,
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        #[arg(long, value_name = "TEXT", required = true)]
        reason: String,
    },
    /// Deny request ID, saying why; the requester sees the reason. On an AWS workspace, written
    /// like an approval (see approve); exit statuses as approve's.
    Deny {
        id: String,
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        #[arg(long, value_name = "TEXT", required = true)]
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RowFormat {
    /// An aligned text table.
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object: columns, rows and statistics.
    Json,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Workspace to run in (default: the configured default, normally "demo").
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Database that unqualified table names resolve in.
    #[arg(long, value_name = "DB")]
    pub database: Option<String>,
    /// Output format for the rows.
    #[arg(long, value_enum, default_value_t = RowFormat::Table)]
    pub format: RowFormat,
    /// CSV: write text that starts with = + - @ (or a tab or CR) as it is. By default such a
    /// cell gets a leading ' so that a spreadsheet shows it instead of running it as a formula.
    #[arg(long)]
    pub no_formula_guard: bool,
    /// Read the SQL from PATH instead of the command line.
    #[arg(long, value_name = "PATH", conflicts_with = "sql")]
    pub file: Option<PathBuf>,
    /// Hold this elevation for the query (AWS workspaces; repeatable): its grant's credentials
    /// from `warden elevation request` sign the run when its verdict leans on it. Refused when
    /// it is not held.
    #[arg(long = "elevation", value_name = "NAME")]
    pub elevations: Vec<String>,
    /// The value of the next `?` of the query (repeatable, in order): one literal as SQL writes
    /// it, e.g. --param "'2024-01-31'" --param 42 --param "DATE '2024-01-31'".
    #[arg(long = "param", value_name = "VALUE", allow_hyphen_values = true)]
    pub params: Vec<String>,
    /// The SQL text.
    #[arg(value_name = "SQL", required_unless_present = "file")]
    pub sql: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LintFormat {
    /// Compiler-style lines with the source line and a caret.
    Text,
    /// One JSON document for all files.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow annotation lines.
    Github,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A policy file (YAML, format warden-policy/1). Without --policy and --bundle, lint uses
    /// the verified policy bundle in force in the workspace.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["bundle", "workspace"])]
    pub policy: Option<PathBuf>,
    /// A signed policy bundle (.tar.gz), verified as the app verifies it (signature by a --trust
    /// key, file hashes, validity window) before its policy is used.
    #[arg(
        long,
        value_name = "FILE",
        requires = "trust",
        conflicts_with = "workspace"
    )]
    pub bundle: Option<PathBuf>,
    /// A trusted public key for --bundle: a file from `warden bundle keygen` or the key text
    /// (repeatable).
    #[arg(long, value_name = "KEY", requires = "bundle")]
    pub trust: Vec<String>,
    /// The workspace whose bundle in force to lint against (default: the configured default).
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Database that unqualified table names resolve in.
    #[arg(long, value_name = "DB")]
    pub database: Option<String>,
    /// Treat this elevation as active (repeatable); it removes the diagnostics it unlocks.
    #[arg(long = "elevation", value_name = "NAME")]
    pub elevations: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// SQL files, directories (every *.sql inside, recursively) or - for standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Create an Ed25519 signing key: the private key in FILE (owner-readable only), the public
    /// key in FILE.pub; prints the key id. Never overwrites an existing key.
    Keygen {
        #[arg(long, value_name = "KEYFILE")]
        out: PathBuf,
    },
    /// Validate a policy, then build and sign a bundle of it.
    Build {
        /// The policy (YAML, format warden-policy/1); it is validated as `warden lint` does.
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// An optional catalog file to ship in the bundle.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Revision number; must be higher than every revision published before under this name.
        #[arg(long, value_name = "N")]
        revision: u64,
        /// How long the bundle stays valid (s, m, h or d).
        #[arg(long, value_name = "DURATION", default_value = "30d")]
        expires_in: String,
        /// The private signing key (from `warden bundle keygen`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// Where to write the bundle (.tar.gz).
        #[arg(long, value_name = "BUNDLE")]
        out: PathBuf,
        /// The workspace audience the bundle is for, signed into its manifest: a workspace with
        /// another audience refuses it. Without it, any workspace pinned to the policy's name
        /// takes it.
        #[arg(long, value_name = "AUDIENCE")]
        audience: Option<String>,
    },
    /// Check a bundle's signature, hashes, dates and revision. Exit 0 with a one-line summary when
    /// it is valid, 1 with the exact reason when it is not.
    Verify {
        /// A trusted public key: a .pub file or the key text (repeatable, for key rotation).
        #[arg(long = "trust", value_name = "PUBKEY", required = true)]
        trust: Vec<String>,
        /// Refuse bundles with a lower revision (rollback).
        #[arg(long, value_name = "N")]
        min_revision: Option<u64>,
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
    },
    /// Upload a bundle under its revision and move the `latest` pointer. Concurrent publishers of
    /// the same revision cannot both win.
    Publish {
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
        /// s3://bucket/prefix/ or file:///dir/
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Fetch the workspace's bundle now, verify it and keep it if it is new. Exit 0 when a valid
    /// bundle is in force afterwards, 1 when the fetched bundle was refused or none is in force.
    Fetch {
        /// Workspace (default: the configured default, normally "demo").
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// Fetch from URL instead of the configured source (https://, s3://, file://).
        #[arg(long, value_name = "URL")]
        source: Option<String>,
        /// Trust only these public keys for this fetch (repeatable): a .pub file or key text.
        #[arg(long = "trust", value_name = "PUBKEY")]
        trust: Vec<String>,
    },
    /// Show the bundle in force: name, revision, source, fetched at, expires at, key id and the
    /// verdict of the last fetch. Exit 1 when nothing may run.
    Status {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print recorded events, oldest first.
    Log {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// Only events of this kind (repeatable), e.g. query_blocked.
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
        /// Only events at or after T: an RFC 3339 time (2026-11-21T09:00:00Z) or an age (90m, 24h, 7d).
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// At most N events (the newest N).
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
    /// Check the journal's hash chain. Exit 0 with the count and "chain intact"; exit 1 naming the
    /// first broken sequence number.
    Verify {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
    },
    /// Upload every event not yet in the central store, exactly once.
    Sync {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// s3://bucket/prefix/ or file:///dir/ instead of the workspace's store.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
    },
    /// Events recorded, last synced sequence number, pending events and the store.
    Status {
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
    /// Check a central store: per device, no gaps, no duplicates, chain continuous across
    /// objects. Exit 0 when intact, 1 naming each problem.
    VerifyStore {
        /// s3://bucket/prefix/ or file:///dir/
        #[arg(long, value_name = "URL")]
        store: String,
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create the workspace's files (for the demo: sample data lake and policy) and fetch its
    /// policy bundle (an athena workspace's S3 source with its sign-in: `warden login` first).
    /// Safe to run again. Exit 1 when the bundle could not be fetched or was refused.
    Init(WorkspaceArgs),
    /// Describe a workspace: where it lives, its policy and its tables.
    Show(WorkspaceShowArgs),
    /// List the configured workspaces: name, kind, whether an administrator manages it; the
    /// default is marked with `*`.
    List(WorkspaceListArgs),
    /// Add an athena workspace to your config.toml (your other settings and comments stay as
    /// they are). Refused when your administrator sets the workspaces (managed.toml).
    Add(Box<WorkspaceAddArgs>),
}

#[derive(Debug, Args)]
pub struct WorkspaceAddArgs {
    /// The new workspace's name: lowercase letters, digits, `-` and `_`.
    pub name: String,
    /// Take the sign-in from this ~/.aws/config profile (one with sso_* settings).
    #[arg(long, value_name = "PROFILE", conflicts_with_all = ["start_url", "sso_region", "account", "role"])]
    pub profile: Option<String>,
    /// The AWS access portal URL of IAM Identity Center (https://…/start).
    #[arg(long, value_name = "URL", requires_all = ["sso_region", "account", "role"])]
    pub start_url: Option<String>,
    /// The region of IAM Identity Center.
    #[arg(long, value_name = "REGION")]
    pub sso_region: Option<String>,
    /// The AWS account (12 digits) the workspace works in.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The role (permission set) name for baseline work.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// The region of Athena, S3 and Glue (default: the sign-in's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The Athena workgroup for baseline work (default: primary).
    #[arg(long, value_name = "NAME")]
    pub workgroup: Option<String>,
    /// The database unqualified table names resolve in.
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,
    /// Where your security team publishes the signed policy bundle (https://, s3://, file:///).
    #[arg(long, value_name = "URL")]
    pub bundle_source: String,
    /// Your security team's public key: a .pub file or the key text.
    #[arg(long, value_name = "KEY")]
    pub trust: String,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the `catalog:` section of a policy from an athena workspace's Glue Data Catalog
    /// (columns, types, partition keys, sizes), keeping the tags of --policy; columns that
    /// policy lacks are listed on stderr, untagged, for review.
    Catalog(PolicyCatalogArgs),
}

#[derive(Debug, Args)]
pub struct PolicyCatalogArgs {
    /// Read the catalog from Glue (the only source so far).
    #[arg(long, required = true)]
    pub from_glue: bool,
    /// A Glue database to include; repeat for more.
    #[arg(long = "database", value_name = "D", required = true)]
    pub databases: Vec<String>,
    /// The existing policy whose tags are kept.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The athena workspace whose Glue, region and sign-in are used (default: the configured
    /// default). Without a [sign_in] it uses the AWS SDK's credentials (environment, profile).
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
}

#[derive(Debug, Args)]
pub struct WorkspaceListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    pub format: InfoFormat,
}

#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// Workspace name (default: the configured default, normally "demo").
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InfoFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct WorkspaceShowArgs {
    /// Workspace name (default: the configured default, normally "demo").
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    pub format: InfoFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
