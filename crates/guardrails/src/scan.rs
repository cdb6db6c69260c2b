//! What a query would scan, measured outside the guardrails: the tables and partitions a
//! statement reads ([`ScanTarget`], from the same partition-filter analysis the rules use), the
//! sizes an engine measured for them ([`ScanSizes`], e.g. from S3 object sizes), and the
//! estimate `max_scan_bytes` judged ([`ScanEstimate`]).
//!
//! The guardrails stay pure: they name the targets and take the sizes as input. Whoever runs
//! the query (the gate) measures before it lints for the last time; without sizes the estimate
//! comes from the policy's catalog stats, as when the editor lints as you type.

use std::collections::BTreeMap;
use std::fmt;

use crate::analysis::Instance;
use crate::policy::units::human_size;

/// One table a statement reads and the partitions its filter selects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScanTarget {
    /// Lowercase, as the policy's catalog names it.
    pub database: String,
    pub table: String,
    /// Equality or `IN` filters on partition keys, each key once, sorted.
    pub partitions: Vec<PartitionFilter>,
    /// Range filters on partition keys (`dt >= '2024-01-01'`; a `BETWEEN` is two), sorted.
    /// Every filter here and in `partitions` holds at once. Both empty: every partition (no
    /// filter, or only filters that cannot be told to the catalog, such as casts, typed
    /// literals or an `OR` of ranges, which is an estimate too high, never too low).
    pub ranges: Vec<PartitionRange>,
}

/// `key IN (values)`, the values as SQL literals (`'2024-01-01'`, `42`), sorted and unique.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionFilter {
    pub key: String,
    pub values: Vec<String>,
}

/// `key >= value`: one bound of a range on a partition key, the value a SQL literal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionRange {
    pub key: String,
    pub comparison: Comparison,
    pub value: String,
}

/// How a range compares a column (on the left) with a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Comparison {
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl Comparison {
    /// The same bound with the operands swapped: `'a' < dt` is `dt > 'a'`.
    pub(crate) fn flipped(self) -> Self {
        match self {
            Comparison::Lt => Comparison::Gt,
            Comparison::LtEq => Comparison::GtEq,
            Comparison::Gt => Comparison::Lt,
            Comparison::GtEq => Comparison::LtEq,
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Lt => "<",
            Comparison::LtEq => "<=",
            Comparison::Gt => ">",
            Comparison::GtEq => ">=",
        })
    }
}

impl ScanTarget {
    pub(crate) fn of(instance: &Instance<'_>) -> Self {
        let table = instance.table;
        let mut partitions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut ranges = Vec::new();
        for c in &instance.constraints {
            let key = c.column.to_lowercase();
            if !table.is_partition_key(&key) || !is_plain_name(&key) {
                continue;
            }
            for (comparison, value) in &c.range {
                if is_range_literal(value) {
                    ranges.push(PartitionRange {
                        key: key.clone(),
                        comparison: *comparison,
                        value: value.clone(),
                    });
                }
            }
            let Some(values) = &c.values else { continue };
            if !values.iter().all(|v| is_plain_literal(v)) {
                continue;
            }
            let values: Vec<String> = values.iter().cloned().collect();
            // Two filters on one key select what both do: keep the narrower.
            match partitions.get(&key) {
                Some(have) if have.len() <= values.len() => {}
                _ => {
                    partitions.insert(key, values);
                }
            }
        }
        ranges.sort();
        ranges.dedup();
        ScanTarget {
            database: table.database.to_lowercase(),
            table: table.name.to_lowercase(),
            partitions: partitions
                .into_iter()
                .map(|(key, values)| PartitionFilter { key, values })
                .collect(),
            ranges,
        }
    }

    /// The Glue `GetPartitions` expression selecting these partitions; `None` for the whole
    /// table.
    pub fn partition_expression(&self) -> Option<String> {
        if self.partitions.is_empty() && self.ranges.is_empty() {
            return None;
        }
        let values = self
            .partitions
            .iter()
            .map(|p| format!("{} IN ({})", p.key, p.values.join(", ")));
        let ranges = self
            .ranges
            .iter()
            .map(|r| format!("{} {} {}", r.key, r.comparison, r.value));
        Some(values.chain(ranges).collect::<Vec<_>>().join(" AND "))
    }
}

impl fmt::Display for ScanTarget {
    /// `sales.orders` or `sales.orders (dt IN ('2024-01-01'))`: what a cache is keyed by.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.database, self.table)?;
        if let Some(e) = self.partition_expression() {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A string without quotes or backslashes inside, or a decimal number: literals a catalog's
/// partition expression reads the same way SQL does.
fn is_plain_literal(s: &str) -> bool {
    if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return !inner.contains('\'') && !inner.contains('\\');
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.')
}

/// A literal a range may be told to the catalog with: a string of printable ASCII, or a whole
/// number. Glue compares a string key's values as strings and an integer key's as numbers, as
/// Athena does; outside ASCII their orders of characters may differ, and Glue cannot read a
/// fraction as an integer key's value, so those ranges select every partition.
fn is_range_literal(s: &str) -> bool {
    if !is_plain_literal(s) {
        return false;
    }
    match s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => inner.chars().all(|c| c.is_ascii() && !c.is_ascii_control()),
        None => !s.contains('.'),
    }
}

/// Sizes measured for some targets, and why others could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSizes {
    measured: BTreeMap<ScanTarget, Measured>,
    failed: BTreeMap<ScanTarget, String>,
}

/// Bytes a target's objects hold, and whether they came from a cache of an earlier listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub bytes: u64,
    pub cached: bool,
}

impl ScanSizes {
    /// No measurement: every estimate comes from the policy's stats.
    pub fn none() -> Self {
        Self::default()
    }
    pub fn measured(&mut self, target: ScanTarget, bytes: u64, cached: bool) {
        self.failed.remove(&target);
        self.measured.insert(target, Measured { bytes, cached });
    }
    /// `target` could not be measured: its estimate comes from the stats, saying `why`.
    pub fn failed(&mut self, target: ScanTarget, why: impl Into<String>) {
        self.measured.remove(&target);
        self.failed.insert(target, why.into());
    }
    pub fn get(&self, target: &ScanTarget) -> Option<Measured> {
        self.measured.get(target).copied()
    }
    pub fn failure(&self, target: &ScanTarget) -> Option<&str> {
        self.failed.get(target).map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.measured.is_empty() && self.failed.is_empty()
    }
}

/// Where an estimate's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ScanSource {
    /// Every table's size was measured from its objects (`cached`: all from a recent listing).
    Listing { cached: bool },
    /// The policy's catalog stats; `reason` says why a measurement was not used, when one was
    /// tried.
    Stats { reason: Option<String> },
    /// Some tables measured, the others from the stats (`reason` names why).
    Mixed { reason: Option<String> },
}

impl fmt::Display for ScanSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanSource::Listing { cached: false } => write!(f, "from S3 object sizes"),
            ScanSource::Listing { cached: true } => write!(f, "from S3 object sizes, cached"),
            ScanSource::Stats { reason: None } => write!(f, "from the policy's stats"),
            ScanSource::Stats { reason: Some(r) } => write!(f, "from the policy's stats: {r}"),
            ScanSource::Mixed { reason: None } => {
                write!(f, "from S3 object sizes and the policy's stats")
            }
            ScanSource::Mixed { reason: Some(r) } => {
                write!(f, "from S3 object sizes and the policy's stats: {r}")
            }
        }
    }
}

/// What `max_scan_bytes` judged for one statement: "about 42 GB, budget 1 TB".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScanEstimate {
    /// The estimated bytes; `None` when a table has neither stats nor a measurement.
    pub bytes: Option<u64>,
    pub budget: u64,
    pub source: ScanSource,
}

impl fmt::Display for ScanEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bytes {
            Some(b) => write!(f, "about {}", human_size(b))?,
            None => write!(f, "not estimated")?,
        }
        write!(f, ", budget {} ({})", human_size(self.budget), self.source)
    }
}

/// What the scan-budget rule noted while checking a text: the targets a run-time measurement
/// needs, and each statement's estimate.
#[derive(Debug, Default)]
pub(crate) struct ScanNotes {
    pub targets: Vec<ScanTarget>,
    pub estimates: Vec<ScanEstimate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_a_catalog_reads_alike_make_a_partition_filter() {
        assert!(is_plain_literal("'2024-01-01'"));
        assert!(is_plain_literal("42"));
        assert!(is_plain_literal("-1.5"));
        assert!(!is_plain_literal("'it''s'"));
        assert!(!is_plain_literal("'a\\'"));
        assert!(!is_plain_literal("DATE '2024-01-01'"));
        assert!(!is_plain_literal("? at 1:30"));
        assert!(!is_plain_literal("1."));
        assert!(!is_plain_literal(""));
    }

    #[test]
    fn a_target_reads_as_its_table_and_partition_expression() {
        let t = ScanTarget {
            database: "sales".into(),
            table: "orders".into(),
            partitions: vec![PartitionFilter {
                key: "dt".into(),
                values: vec!["'2024-01-01'".into(), "'2024-01-02'".into()],
            }],
            ranges: vec![],
        };
        assert_eq!(
            t.partition_expression().as_deref(),
            Some("dt IN ('2024-01-01', '2024-01-02')")
        );
        assert_eq!(
            t.to_string(),
            "sales.orders (dt IN ('2024-01-01', '2024-01-02'))"
        );
        let ranged = ScanTarget {
            ranges: vec![
                PartitionRange {
                    key: "hour".into(),
                    comparison: Comparison::Lt,
                    value: "12".into(),
                },
                PartitionRange {
                    key: "hour".into(),
                    comparison: Comparison::GtEq,
                    value: "-1".into(),
                },
            ],
            ..t.clone()
        };
        assert_eq!(
            ranged.to_string(),
            "sales.orders (dt IN ('2024-01-01', '2024-01-02') AND hour < 12 AND hour >= -1)"
        );
        let whole = ScanTarget {
            partitions: vec![],
            ..t
        };
        assert_eq!(whole.partition_expression(), None);
        assert_eq!(whole.to_string(), "sales.orders");
    }

    #[test]
    fn a_range_is_told_to_the_catalog_only_where_it_compares_alike() {
        assert!(is_range_literal("'2024-01-01'"));
        assert!(is_range_literal("'a b~'"));
        assert!(is_range_literal("2024"));
        assert!(is_range_literal("-3"));
        // Outside ASCII, a character's order may differ between Glue and Athena.
        assert!(!is_range_literal("'é'"));
        assert!(!is_range_literal("'a\tb'"));
        // Glue reads no fraction as an integer key's value.
        assert!(!is_range_literal("1.5"));
        assert!(!is_range_literal("DATE '2024-01-01'"));
        assert!(!is_range_literal("? at 1:30"));
    }
}
