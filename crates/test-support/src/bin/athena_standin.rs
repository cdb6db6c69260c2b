//! The Athena stand-in as a process, for the sandbox and the benchmark:
//! `athena-standin --moto http://127.0.0.1:5000 [--load-demo-lake BUCKET [--lake-dir DIR]]
//! [--latency-ms 50] [--until-killed]`.
//! Prints one JSON line with its endpoints, then serves until stdin closes or it is killed.

use std::io::BufRead;
use std::time::Duration;

use clap::Parser;
use warden_test_support::standin::{
    ensure_bucket, glue_client, load_demo_lake, s3_client, AthenaStandIn, ColumnGrants,
    StandInConfig, WorkGroupSpec,
};

#[derive(Parser)]
#[command(about = "A local Athena stand-in over moto's S3 and Glue (sandbox and tests only)")]
struct Args {
    /// moto_server's endpoint (S3 and Glue).
    #[arg(long)]
    moto: String,
    /// Bucket for query results (created if missing); results go under `results/`.
    #[arg(long, default_value = "warden-athena-results")]
    results_bucket: String,
    /// Put the demo lake into this bucket and register it in Glue first.
    #[arg(long)]
    load_demo_lake: Option<String>,
    /// Where the demo lake's files are generated (kept); a temporary folder when not given.
    /// The sandbox passes the demo workspace's lake so the files exist once.
    #[arg(long, value_name = "DIR")]
    lake_dir: Option<std::path::PathBuf>,
    /// Serve until killed rather than until stdin closes (for a background process whose
    /// stdin is /dev/null).
    #[arg(long)]
    until_killed: bool,
    /// Seed of the demo lake.
    #[arg(long, default_value_t = 20_250_901)]
    seed: u64,
    #[arg(long, default_value_t = 0)]
    athena_port: u16,
    #[arg(long, default_value_t = 0)]
    s3_port: u16,
    /// Added to every Athena call and S3 read through the front.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Time each query spends QUEUED.
    #[arg(long, default_value_t = 0)]
    queued_ms: u64,
    /// A second workgroup, `capped`, cancelling queries that scan more than this many bytes.
    #[arg(long)]
    capped_cutoff: Option<u64>,
    /// More workgroups (writing to the results bucket), e.g. the elevations' own.
    #[arg(long = "workgroup", value_name = "NAME")]
    workgroups: Vec<String>,
    /// Lake Formation's part: columns of class CLASS are readable only by the roles listed
    /// (`CLASS=ROLE_ARN[,ROLE_ARN...]`); without it every caller reads every column.
    #[arg(long, value_name = "CLASS=ROLES")]
    class_roles: Option<String>,
}

const DEMO_NAMED_QUERIES: [(&str, &str, &str); 2] = [
    (
        "Customers by country",
        "How many customers each country has",
        "SELECT country, count(*) AS customers FROM sales.customers GROUP BY country ORDER BY customers DESC",
    ),
    (
        "Customer emails",
        "Contact list for a mailing: needs the pii-read elevation",
        "SELECT customer_id, email FROM sales.customers ORDER BY customer_id LIMIT 20",
    ),
];

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("athena-standin: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let s3 = s3_client(&args.moto);
    let glue = glue_client(&args.moto);
    runtime.block_on(ensure_bucket(&s3, &args.results_bucket))?;
    if let Some(bucket) = &args.load_demo_lake {
        let temporary = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = args.lake_dir.as_deref().unwrap_or(temporary.path());
        runtime.block_on(load_demo_lake(&s3, &glue, bucket, dir, args.seed))?;
    }
    let mut config = StandInConfig::new(&args.moto, &args.results_bucket);
    config.athena_port = args.athena_port;
    config.s3_port = args.s3_port;
    if let Some(cutoff) = args.capped_cutoff {
        config.workgroups.push(
            WorkGroupSpec::new("capped", &format!("s3://{}/results/", args.results_bucket))
                .with_cutoff(cutoff),
        );
    }
    for name in &args.workgroups {
        config.workgroups.push(WorkGroupSpec::new(
            name,
            &format!("s3://{}/results/", args.results_bucket),
        ));
    }
    if let Some(spec) = &args.class_roles {
        let (class, roles) = spec.split_once('=').ok_or_else(|| {
            format!("--class-roles {spec:?}: expected CLASS=ROLE_ARN[,ROLE_ARN...]")
        })?;
        config.column_grants = Some(ColumnGrants {
            class: class.to_string(),
            roles: roles.split(',').map(str::to_string).collect(),
        });
    }
    let standin = AthenaStandIn::start(config)?;
    if args.load_demo_lake.is_some() {
        // What a team would keep in its workgroup: one query the demo policy allows, one that
        // needs the pii-read elevation (the Saved panel lists both; the gate judges each run).
        for (name, description, sql) in DEMO_NAMED_QUERIES {
            standin.add_named_query("primary", name, description, "sales", sql)?;
        }
    }
    standin.knobs.set(|k| {
        k.latency = Duration::from_millis(args.latency_ms);
        k.queued = Duration::from_millis(args.queued_ms);
    });
    println!(
        "{}",
        serde_json::json!({"athena": standin.endpoint, "s3": standin.s3_endpoint, "moto": args.moto})
    );
    if args.until_killed {
        loop {
            std::thread::park();
        }
    }
    // Serve until the parent closes stdin (or kills the process).
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
    Ok(())
}
