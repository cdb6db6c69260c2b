use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "export_destination",
    keys: &[Key {
        name: "allow_prefixes",
        schema: r##"{"$ref": "#/$defs/common_strings"}"##,
    }],
    requires: Requires::All(&["allow_prefixes"]),
    hint: false,
    build,
    source: include_str!("export_destination.rs"),
};

/// ## What it does
/// Fires when a place a statement writes data to does not start with one of `allow_prefixes`:
/// the `TO` of `UNLOAD`; the `LOCATION` of `CREATE [EXTERNAL] TABLE` (Athena's Iceberg
/// `CREATE TABLE` has one too); the `LOCATION` of `ALTER TABLE ... ADD PARTITION`; and any
/// option of `CREATE TABLE`, CTAS, `UNLOAD` or `ALTER TABLE ... SET TBLPROPERTIES` (`WITH (...)`,
/// `TBLPROPERTIES (...)`, `WITH SERDEPROPERTIES (...)`) whose key names a location or a path
/// (`external_location`, `location`, `storage.location.template`, `write_data_path`) or whose
/// value is a URL. An option whose value is not a literal is refused whatever the policy, since
/// no rule could judge it.
///
/// ## Why
/// Data written elsewhere leaves the places the organisation controls.
///
/// ## Options
/// `allow_prefixes` (an empty list allows no export).
///
/// ## Example
/// ```yaml
/// - { id: export, kind: export_destination, allow_prefixes: ['s3://exports/'] }
/// ```
/// Fires: `UNLOAD (SELECT order_id FROM orders) TO 's3://elsewhere/x'`.
/// Fires: `CREATE TABLE t (a bigint) LOCATION 's3://elsewhere/t/' TBLPROPERTIES
/// ('table_type'='ICEBERG')`, `ALTER TABLE orders ADD PARTITION (dt='2099-01-01') LOCATION
/// 's3://elsewhere/x/'`.
/// Does not fire: `UNLOAD (SELECT order_id FROM orders) TO 's3://exports/x/'`.
#[derive(Debug)]
pub(crate) struct ExportDestination {
    allow_prefixes: Vec<String>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(ExportDestination {
        allow_prefixes: o
            .required("allow_prefixes", &o.file.allow_prefixes)?
            .clone(),
    }))
}

impl Check for ExportDestination {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        for (location, span) in &a.shape.export_locations {
            if self
                .allow_prefixes
                .iter()
                .any(|p| location.starts_with(p.as_str()))
            {
                continue;
            }
            let allowed = if self.allow_prefixes.is_empty() {
                "this policy allows no export".to_string()
            } else {
                format!("write under {}", self.allow_prefixes.join(" or "))
            };
            out.push(diagnostic(
                rule,
                *span,
                format!("{location} is not an allowed destination: {allowed}"),
                &[("location", location)],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
