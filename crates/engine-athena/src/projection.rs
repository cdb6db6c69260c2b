//! Where a table with partition projection keeps the partitions a query selects. Athena builds
//! such a table's partition locations from its properties, not from Glue's partitions (Glue
//! lists none): `storage.location.template` (`s3://bucket/logs/${dt}/`), or else the Hive
//! layout under the table's location (`.../dt=2024-01-05/`). So the measurement lists the
//! objects under the layout's fixed prefix and reads each object's partition values back from
//! its key, keeping the objects whose values the query's filters select.
//!
//! An estimate too high, never too low: a value this module cannot judge (a key of a type other
//! than a string or an integer, a literal of another type, a value with `%`, which the Hive
//! layout uses for escapes) is kept, and so are objects of partitions outside the projection's
//! ranges, which Athena would skip. A layout it cannot read back unambiguously (values that may
//! hold `/`, parameters Athena may read otherwise) is an error, and the gate falls back to the
//! policy's stats. Reviewed against Trino's port of Athena's projection
//! (`PartitionProjection`): values go into a template unescaped, an empty one as
//! `__HIVE_DEFAULT_PARTITION__`, and the parameters are read by their exact names.

use std::cmp::Ordering;

use aws_sdk_glue::types::Table;
use warden_guardrails::{Comparison, ScanTarget};

/// The parameter that turns projection on, as Athena reads it.
const ENABLED: &str = "projection.enabled";
const TEMPLATE: &str = "storage.location.template";

/// Whether Athena projects this table's partitions instead of reading them from Glue. Athena
/// reads the parameter by its exact name and the value as Java's `parseBoolean` does; a
/// parameter a lenient reading would take otherwise (a key in other case, spaces around `true`)
/// is an error, since the partitions Athena reads are then not known.
pub fn is_projected(table: &Table) -> Result<bool, String> {
    let strict = exact(table, ENABLED).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let lenient = loose(table, ENABLED).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if strict == lenient {
        Ok(strict)
    } else {
        Err(format!(
            "its {ENABLED} parameter is not written exactly (a key in other case, or spaces around \
             `true`), so whether Athena projects its partitions is not known"
        ))
    }
}

/// A table parameter by its exact name, as Athena reads it.
fn exact<'a>(table: &'a Table, name: &str) -> Option<&'a str> {
    table.parameters()?.get(name).map(String::as_str)
}

/// A table parameter by its name in any case.
fn loose<'a>(table: &'a Table, name: &str) -> Option<&'a str> {
    table
        .parameters()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A projected table's partition locations: fixed path segments and segments holding one
/// partition key's value each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    bucket: String,
    /// The path's segments after the bucket, a location's trailing `/` left out.
    segments: Vec<Segment>,
    keys: Vec<Key>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Fixed(String),
    /// `before${key}after`, e.g. `dt=${dt}`.
    Value {
        key: usize,
        before: String,
        after: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    /// Lowercase, as a `ScanTarget` names it.
    name: String,
    kind: KeyKind,
    /// Every value the projection makes is a path's text unchanged (`is_plain`): a date of a
    /// plain format, an integer, an enum of plain values. Only then may a listing skip to a
    /// bound, since an escaped value (`10%3A00` for `10:00`) sorts elsewhere than its text.
    plain: bool,
    /// The values are the query's, not the projection's (`injected`, or no projection type):
    /// any text, `/` included, so only the query's own literals say where they are.
    open: bool,
}

/// How Athena compares a partition key's values: only these two are judged here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Text,
    Integer,
    Other,
}

impl KeyKind {
    fn of(glue_type: &str) -> Self {
        let t = glue_type.trim().to_ascii_lowercase();
        if t == "string" || t.starts_with("varchar") {
            KeyKind::Text
        } else if matches!(
            t.as_str(),
            "tinyint" | "smallint" | "int" | "integer" | "bigint"
        ) {
            KeyKind::Integer
        } else {
            KeyKind::Other
        }
    }
}

/// One `ListObjectsV2` call: a prefix, and where to start in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub bucket: String,
    pub prefix: String,
    pub start_after: Option<String>,
}

impl Layout {
    /// The layout of a projected table, from its template or its location and partition keys.
    pub fn of(table: &Table) -> Result<Self, String> {
        let mut keys = Vec::new();
        let mut hive = String::new();
        for column in table.partition_keys() {
            let name = column.name().to_lowercase();
            // Read leniently: these only decide what is refused or how a listing is narrowed.
            let setting = |what: &str| {
                loose(table, &format!("projection.{name}.{what}")).map(|v| v.trim().to_string())
            };
            let projected_type = setting("type").unwrap_or_default().to_ascii_lowercase();
            // A date format or an enum value with `/` spreads a value over path segments,
            // which cannot be read back one segment per value.
            let made_of = match projected_type.as_str() {
                "date" => setting("format"),
                "enum" => setting("values"),
                _ => None,
            };
            if made_of.as_deref().is_some_and(|m| m.contains('/')) {
                return Err(format!(
                    "the values of its partition key `{name}` hold `/`, one value over several path segments"
                ));
            }
            let plain = match projected_type.as_str() {
                "integer" => true,
                "date" | "enum" => made_of
                    .as_deref()
                    .is_some_and(|m| m.split(',').all(is_plain)),
                _ => false,
            };
            // The Hive layout names the column as the catalog holds it.
            hive.push_str(&format!("{0}=${{{0}}}/", column.name()));
            keys.push(Key {
                name,
                kind: KeyKind::of(column.r#type().unwrap_or_default()),
                plain,
                open: !matches!(projected_type.as_str(), "date" | "enum" | "integer"),
            });
        }
        if keys.is_empty() {
            return Err("it has no partition keys".into());
        }
        let template = match (exact(table, TEMPLATE), loose(table, TEMPLATE)) {
            (Some(t), _) if t == t.trim() => t.to_string(),
            (None, None) => {
                let location = table
                    .storage_descriptor()
                    .and_then(|sd| sd.location())
                    .ok_or_else(|| "it has no location in Glue".to_string())?;
                format!("{}/{hive}", location.trim_end_matches('/'))
            }
            _ => {
                return Err(format!(
                    "its {TEMPLATE} parameter is not written exactly (a key in other case, or \
                     spaces around it), so where Athena reads is not known"
                ))
            }
        };
        Self::parse(&template, keys)
    }

    fn parse(template: &str, keys: Vec<Key>) -> Result<Self, String> {
        let unreadable = |why: &str| format!("its partition layout {template} {why}");
        let rest = template
            .strip_prefix("s3://")
            .ok_or_else(|| unreadable("is not on S3"))?;
        let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains("${") {
            return Err(unreadable("names no bucket"));
        }
        let mut segments = Vec::new();
        let mut placed = vec![false; keys.len()];
        for part in path.trim_end_matches('/').split('/') {
            // Athena folds `//` and may resolve `.` and `..`: keys would not be where read.
            if part.is_empty() || part == "." || part == ".." {
                return Err(unreadable("has an empty, `.` or `..` path segment"));
            }
            let Some(open) = part.find("${") else {
                segments.push(Segment::Fixed(part.to_string()));
                continue;
            };
            let close = part[open..]
                .find('}')
                .map(|i| open + i)
                .ok_or_else(|| unreadable("has a `${` without its `}`"))?;
            let (before, after) = (&part[..open], &part[close + 1..]);
            // Two values in one segment (`${year}-${month}`) cannot be told apart when a value
            // holds the separator: not read back at all rather than read back wrong.
            if after.contains("${") || after.contains('}') || before.contains('}') {
                return Err(unreadable("puts two values in one path segment"));
            }
            let name = part[open + 2..close].trim().to_lowercase();
            let key = keys
                .iter()
                .position(|k| k.name == name)
                .ok_or_else(|| unreadable(&format!("names `{name}`, not a partition key")))?;
            placed[key] = true;
            segments.push(Segment::Value {
                key,
                before: before.to_string(),
                after: after.to_string(),
            });
        }
        if let Some(missing) = placed.iter().position(|p| !p) {
            return Err(unreadable(&format!(
                "does not place the partition key `{}`",
                keys[missing].name
            )));
        }
        Ok(Layout {
            bucket: bucket.to_string(),
            segments,
            keys,
        })
    }

    /// The listings that find every object of the partitions `target` selects (and maybe
    /// more, which `selects` drops): the fixed prefix, narrowed by the first key's values or its
    /// lower bound when that key is a string.
    pub fn listings(&self, target: &ScanTarget) -> Result<Vec<Listing>, String> {
        self.placeable(target)?;
        let everything = self.everything();
        let first = self.segments.iter().find_map(|s| match s {
            Segment::Value { key, before, after } => Some((&self.keys[*key], before, after)),
            Segment::Fixed(_) => None,
        });
        let Some((key, before, after)) = first.filter(|(key, ..)| key.kind == KeyKind::Text) else {
            return Ok(vec![everything]);
        };
        let fixed = everything.prefix.clone();
        let listing = |prefix: String, start_after: Option<String>| Listing {
            bucket: self.bucket.clone(),
            prefix,
            start_after,
        };
        // A plain value is its path's text whatever the layout escapes.
        let values = target
            .partitions
            .iter()
            .find(|p| p.key == key.name)
            .map(|p| {
                p.values
                    .iter()
                    .map(|v| unquote(v).filter(|v| is_plain(v)))
                    .collect::<Option<Vec<_>>>()
            });
        if let Some(Some(values)) = values {
            return Ok(values
                .into_iter()
                .map(|v| listing(format!("{fixed}{before}{v}{after}/"), None))
                .collect());
        }
        // Keys come in byte order, and every key of a value at or above the bound sorts after
        // `prefix + bound` when values are written as they are; a key below the bound that
        // sorts after it is dropped by `selects`.
        let lowest = target
            .ranges
            .iter()
            .filter(|r| {
                r.key == key.name && matches!(r.comparison, Comparison::Gt | Comparison::GtEq)
            })
            .filter_map(|r| unquote(&r.value))
            .max()
            .filter(|_| key.plain);
        let start_after = lowest.map(|b| format!("{fixed}{before}{b}"));
        Ok(vec![listing(fixed, start_after)])
    }

    /// An open key's values are wherever the query's literals put them, `/` and all: measured
    /// only when the query gives each such key plain literals (no `/`, not empty, not `.`).
    fn placeable(&self, target: &ScanTarget) -> Result<(), String> {
        for key in self.keys.iter().filter(|k| k.open) {
            let placed = target.partitions.iter().any(|p| {
                p.key == key.name
                    && p.values.iter().all(|v| {
                        let text = unquote(v).unwrap_or(v);
                        !text.is_empty() && !text.contains('/') && text.chars().any(|c| c != '.')
                    })
            });
            if !placed {
                return Err(format!(
                    "its partition key `{}` takes the query's values (injected), and the query \
                     gives it none Warden can place (a plain literal without `/`)",
                    key.name
                ));
            }
        }
        Ok(())
    }

    /// Whether some key's values come from the query rather than the projection.
    pub fn has_open_keys(&self) -> bool {
        self.keys.iter().any(|k| k.open)
    }

    /// The listing of everything under the layout's fixed prefix.
    pub fn everything(&self) -> Listing {
        let first = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Value { .. }))
            .unwrap_or(self.segments.len());
        Listing {
            bucket: self.bucket.clone(),
            prefix: self.segments[..first]
                .iter()
                .filter_map(|s| match s {
                    Segment::Fixed(f) => Some(format!("{f}/")),
                    Segment::Value { .. } => None,
                })
                .collect(),
            start_after: None,
        }
    }

    /// The partition values an object's key places it under, by key; `None` when the object is
    /// not under any partition location of the layout.
    pub fn partition_of<'a>(&self, object: &'a str) -> Option<Vec<&'a str>> {
        let parts: Vec<&str> = object.split('/').collect();
        // The object's own name comes after the location's segments.
        if parts.len() <= self.segments.len() {
            return None;
        }
        let mut values: Vec<Option<&str>> = vec![None; self.keys.len()];
        for (segment, part) in self.segments.iter().zip(&parts) {
            match segment {
                Segment::Fixed(f) if f == part => {}
                Segment::Fixed(_) => return None,
                Segment::Value { key, before, after } => {
                    let value = part
                        .strip_prefix(before.as_str())?
                        .strip_suffix(after.as_str())?;
                    match values[*key] {
                        Some(seen) if seen != value => return None,
                        _ => values[*key] = Some(value),
                    }
                }
            }
        }
        values.into_iter().collect()
    }

    /// Whether the query reads this object: it lies under a partition location and every
    /// filter of the target holds for its values (or cannot be judged).
    pub fn selects(&self, target: &ScanTarget, object: &str) -> bool {
        let Some(values) = self.partition_of(object) else {
            return false;
        };
        self.keys.iter().zip(values).all(|(key, value)| {
            let within = target
                .partitions
                .iter()
                .filter(|p| p.key == key.name)
                .all(|p| {
                    p.values
                        .iter()
                        .any(|lit| compare(key.kind, value, lit) != Some(false))
                });
            within
                && target
                    .ranges
                    .iter()
                    .filter(|r| r.key == key.name)
                    .all(|r| matches(key.kind, value, r.comparison, &r.value) != Some(false))
        })
    }
}

/// Whether `value = literal`, or `None` when that cannot be judged here.
fn compare(kind: KeyKind, value: &str, literal: &str) -> Option<bool> {
    order(kind, value, literal).map(|o| o == Ordering::Equal)
}

/// Whether `value <comparison> literal`, or `None` when that cannot be judged here.
fn matches(kind: KeyKind, value: &str, comparison: Comparison, literal: &str) -> Option<bool> {
    let o = order(kind, value, literal)?;
    Some(match comparison {
        Comparison::Lt => o == Ordering::Less,
        Comparison::LtEq => o != Ordering::Greater,
        Comparison::Gt => o == Ordering::Greater,
        Comparison::GtEq => o != Ordering::Less,
    })
}

/// How a partition value compares with a SQL literal, as Athena compares them: strings by code
/// point (UTF-8's byte order), integers as numbers (`007` is 7).
fn order(kind: KeyKind, value: &str, literal: &str) -> Option<Ordering> {
    // `%` may be an escape of the layout, and a literal with `/` names a value that spans
    // segments, which `values` read as several.
    // An empty value is written `__HIVE_DEFAULT_PARTITION__`.
    if value.contains('%') || literal.contains('/') || value == "__HIVE_DEFAULT_PARTITION__" {
        return None;
    }
    match kind {
        KeyKind::Text => Some(value.cmp(unquote(literal).filter(|l| !l.is_empty())?)),
        KeyKind::Integer => {
            let literal: i128 = literal.parse().ok()?;
            let value: i128 = value.parse().ok()?;
            Some(value.cmp(&literal))
        }
        KeyKind::Other => None,
    }
}

/// Text no layout escapes or splits: ASCII letters, digits, `-`, `_` and `.`.
fn is_plain(text: &str) -> bool {
    text.chars().any(|c| c != '.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A string literal's text; `None` for any other literal.
fn unquote(literal: &str) -> Option<&str> {
    literal.strip_prefix('\'')?.strip_suffix('\'')
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_glue::types::{Column, StorageDescriptor};
    use warden_guardrails::{PartitionFilter, PartitionRange};

    fn table(keys: &[(&str, &str)], template: Option<&str>) -> Table {
        projected(keys, template, &[])
    }

    /// A projected table with these projection settings (`dt.type`, `date`); a key whose type
    /// they do not set is projected as a date.
    fn projected(
        keys: &[(&str, &str)],
        template: Option<&str>,
        settings: &[(&str, &str)],
    ) -> Table {
        let mut t = Table::builder()
            .name("logs")
            .storage_descriptor(
                StorageDescriptor::builder()
                    .location("s3://lake/logs")
                    .build(),
            )
            .parameters(ENABLED, "true");
        for (name, ty) in keys {
            t = t.partition_keys(
                Column::builder()
                    .name(*name)
                    .r#type(*ty)
                    .build()
                    .expect("column"),
            );
            let typed = format!("{}.type", name.to_lowercase());
            if !settings.iter().any(|(k, _)| *k == typed) {
                t = t.parameters(format!("projection.{typed}"), "date");
            }
        }
        if let Some(template) = template {
            t = t.parameters(TEMPLATE, template);
        }
        for (setting, value) in settings {
            t = t.parameters(format!("projection.{setting}"), *value);
        }
        t.build().expect("table")
    }

    fn target(values: &[(&str, &[&str])], ranges: &[(&str, Comparison, &str)]) -> ScanTarget {
        ScanTarget {
            database: "web".into(),
            table: "logs".into(),
            partitions: values
                .iter()
                .map(|(key, vs)| PartitionFilter {
                    key: key.to_string(),
                    values: vs.iter().map(|v| v.to_string()).collect(),
                })
                .collect(),
            ranges: ranges
                .iter()
                .map(|(key, comparison, value)| PartitionRange {
                    key: key.to_string(),
                    comparison: *comparison,
                    value: value.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn without_a_template_the_hive_layout_under_the_location_is_read() {
        let layout =
            Layout::of(&table(&[("dt", "string"), ("hour", "int")], None)).expect("layout");
        let all = target(&[], &[]);
        assert_eq!(
            layout.listings(&all).expect("listings"),
            [Listing {
                bucket: "lake".into(),
                prefix: "logs/".into(),
                start_after: None
            }]
        );
        assert!(layout.selects(&all, "logs/dt=2024-01-05/hour=7/a.json"));
        // Not under a partition location: a marker beside them, a file at the table's root.
        assert!(!layout.selects(&all, "logs/dt=2024-01-05/_SUCCESS"));
        assert!(!layout.selects(&all, "logs/readme.txt"));
        assert!(!layout.selects(&all, "logs/hour=7/dt=2024-01-05/a.json"));
    }

    #[test]
    fn a_template_places_each_key_and_may_repeat_one() {
        let layout = Layout::of(&table(
            &[("dt", "string"), ("region", "string")],
            Some("s3://raw/app/${region}/logs/d=${dt}/${region}/"),
        ))
        .expect("layout");
        let all = target(&[], &[]);
        assert_eq!(
            layout.listings(&all).expect("listings"),
            [Listing {
                bucket: "raw".into(),
                prefix: "app/".into(),
                start_after: None
            }]
        );
        assert!(layout.selects(&all, "app/eu/logs/d=2024-01-05/eu/part-0.gz"));
        // The same key twice must hold the same value to be a partition's location.
        assert!(!layout.selects(&all, "app/eu/logs/d=2024-01-05/us/part-0.gz"));
        assert!(!layout.selects(&all, "app/eu/other/d=2024-01-05/eu/part-0.gz"));
    }

    #[test]
    fn a_template_it_cannot_read_back_is_an_error_saying_why() {
        for (template, why) in [
            (
                "s3://raw/${year}-${month}/",
                "two values in one path segment",
            ),
            (
                "s3://raw/${dt}/${nope}/",
                "names `nope`, not a partition key",
            ),
            ("s3://raw/static/", "does not place the partition key `dt`"),
            ("s3://raw/${dt/", "without its `}`"),
            ("https://raw/${dt}/", "is not on S3"),
            (
                "s3://raw/logs//${dt}/",
                "an empty, `.` or `..` path segment",
            ),
            ("s3://raw/./${dt}/", "an empty, `.` or `..` path segment"),
        ] {
            let err = Layout::of(&table(&[("dt", "string")], Some(template))).expect_err(template);
            assert!(err.contains(why), "{template}: {err}");
        }
    }

    #[test]
    fn string_values_are_listed_each_and_a_lower_bound_skips_ahead() {
        let days = [("dt.type", "date"), ("dt.format", "yyyy-MM-dd")];
        let layout = Layout::of(&projected(&[("dt", "string")], None, &days)).expect("layout");
        let days = target(&[("dt", &["'2024-01-05'", "'2024-01-07'"])], &[]);
        let prefixes: Vec<_> = layout
            .listings(&days)
            .expect("listings")
            .into_iter()
            .map(|l| l.prefix)
            .collect();
        assert_eq!(prefixes, ["logs/dt=2024-01-05/", "logs/dt=2024-01-07/"]);
        let since = target(
            &[],
            &[
                ("dt", Comparison::GtEq, "'2024-01-01'"),
                ("dt", Comparison::Gt, "'2024-02-01'"),
            ],
        );
        assert_eq!(
            layout.listings(&since).expect("listings")[0]
                .start_after
                .as_deref(),
            Some("logs/dt=2024-02-01")
        );
        assert!(layout.selects(&since, "logs/dt=2024-02-02/a"));
        assert!(!layout.selects(&since, "logs/dt=2024-02-01/a"));
        // `2024-02` is below the bound although its key sorts after `dt=2024-02-01`.
        assert!(!layout.selects(&since, "logs/dt=2024-02/a"));

        // Values the projection may write escaped (`10:00`, a format with a colon) sort
        // elsewhere than their text: no skipping ahead, and no listing by a value that is not
        // plain.
        let hours = Layout::of(&projected(
            &[("dt", "string")],
            None,
            &[("dt.type", "date"), ("dt.format", "yyyy-MM-dd HH:mm")],
        ))
        .expect("layout");
        assert_eq!(
            hours.listings(&since).expect("listings")[0].start_after,
            None
        );
        // An enum value with a space (`eu, us` makes ` us`) is not plain either.
        let spaced = Layout::of(&projected(
            &[("dt", "string")],
            None,
            &[("dt.type", "enum"), ("dt.values", "eu, us")],
        ))
        .expect("layout");
        assert_eq!(
            spaced.listings(&since).expect("listings")[0].start_after,
            None
        );
        let odd = target(&[("dt", &["'2024-01-05'", "'10:00'"])], &[]);
        assert_eq!(
            hours.listings(&odd).expect("listings"),
            [Listing {
                bucket: "lake".into(),
                prefix: "logs/".into(),
                start_after: None
            }]
        );
    }

    #[test]
    fn an_injected_key_is_measured_only_at_the_querys_plain_values() {
        let layout = Layout::of(&projected(
            &[("region", "string"), ("dt", "string")],
            Some("s3://raw/${region}/logs/${dt}/"),
            &[("region.type", "injected")],
        ))
        .expect("layout");
        let eu = target(&[("region", &["'eu'"])], &[]);
        assert_eq!(
            layout.listings(&eu).expect("a plain value"),
            [Listing {
                bucket: "raw".into(),
                prefix: "eu/".into(),
                start_after: None
            }]
        );
        // Athena puts an injected value in the path as it is, `/` and all; an empty one is
        // written `__HIVE_DEFAULT_PARTITION__`: neither can be read back, nor can no value.
        for values in [
            &["'eu/west'"][..],
            &["''"],
            &["'..'"],
            &["'eu'", "'us/east'"],
        ] {
            let odd = target(&[("region", values)], &[]);
            let err = layout.listings(&odd).expect_err("not placeable");
            assert!(err.contains("`region` takes the query's values"), "{err}");
        }
        assert!(layout.listings(&target(&[], &[])).is_err());
        assert!(layout.has_open_keys());
    }

    #[test]
    fn projection_is_read_as_athena_reads_its_parameters() {
        let with = |key: &str, value: &str| {
            let mut t = table(&[("dt", "string")], None);
            t.parameters.as_mut().expect("parameters").remove(ENABLED);
            t.parameters
                .as_mut()
                .expect("parameters")
                .insert(key.to_string(), value.to_string());
            is_projected(&t)
        };
        assert_eq!(with(ENABLED, "true"), Ok(true));
        assert_eq!(with(ENABLED, "TRUE"), Ok(true));
        assert_eq!(with(ENABLED, "false"), Ok(false));
        assert_eq!(with("other", "true"), Ok(false));
        // Read one way by Athena and another by a lenient reading: not known.
        assert!(with("Projection.Enabled", "true").is_err());
        assert!(with(ENABLED, " true").is_err());
        let mut t = table(&[("dt", "string")], None);
        t.parameters
            .as_mut()
            .expect("parameters")
            .insert("Storage.Location.Template".into(), "s3://raw/${dt}/".into());
        assert!(Layout::of(&t)
            .expect_err("a template in other case")
            .contains("not written exactly"));
    }

    #[test]
    fn an_empty_literal_or_the_hive_default_partition_is_not_judged() {
        let layout = Layout::of(&table(&[("dt", "string")], None)).expect("layout");
        let empty = target(&[("dt", &["''"])], &[]);
        assert!(layout.selects(&empty, "logs/dt=__HIVE_DEFAULT_PARTITION__/a"));
        assert!(layout.selects(&empty, "logs/dt=2024-01-05/a"));
        let day = target(&[("dt", &["'2024-01-05'"])], &[]);
        assert!(layout.selects(&day, "logs/dt=__HIVE_DEFAULT_PARTITION__/a"));
        assert!(!layout.selects(&day, "logs/dt=2024-01-06/a"));
    }

    #[test]
    fn the_hive_layout_names_the_column_as_the_catalog_holds_it() {
        let layout = Layout::of(&table(&[("DT", "string")], None)).expect("layout");
        let day = target(&[("dt", &["'2024-01-05'"])], &[]);
        assert_eq!(
            layout.listings(&day).expect("listings")[0].prefix,
            "logs/DT=2024-01-05/"
        );
        assert!(layout.selects(&day, "logs/DT=2024-01-05/a"));
    }

    #[test]
    fn values_spread_over_path_segments_are_not_read_back() {
        for settings in [
            [("dt.type", "date"), ("dt.format", "yyyy/MM/dd")],
            [("dt.type", "enum"), ("dt.values", "a,b/c")],
        ] {
            let err = Layout::of(&projected(
                &[("dt", "string")],
                Some("s3://raw/${dt}/"),
                &settings,
            ))
            .expect_err("a value with /");
            assert!(err.contains("hold `/`"), "{err}");
        }
    }

    #[test]
    fn integers_compare_as_numbers_and_other_types_are_kept() {
        let layout = Layout::of(&table(
            &[("hour", "int"), ("day", "date")],
            Some("s3://raw/${day}/${hour}/"),
        ))
        .expect("layout");
        let hours = target(
            &[("hour", &["7", "12"]), ("day", &["'2024-01-05'"])],
            &[("hour", Comparison::LtEq, "9")],
        );
        assert!(
            layout.selects(&hours, "2024-01-06/007/a"),
            "a date key is not judged"
        );
        assert!(!layout.selects(&hours, "2024-01-06/12/a"), "12 is above 9");
        assert!(
            !layout.selects(&hours, "2024-01-06/8/a"),
            "8 is not in (7, 12)"
        );
        assert!(
            layout.selects(&hours, "2024-01-06/x/a"),
            "not a number: kept"
        );
        // The first key is a date: one listing of the whole prefix.
        assert_eq!(layout.listings(&hours).expect("listings").len(), 1);
    }

    #[test]
    fn a_value_with_an_escape_or_a_literal_of_another_type_is_kept() {
        let layout = Layout::of(&table(&[("path", "string")], None)).expect("layout");
        // A number against a string key is not judged; `b` against `c` is.
        let b = target(&[("path", &["'b'"])], &[("path", Comparison::Lt, "5")]);
        assert!(!layout.selects(&b, "logs/path=c/x"));
        assert!(layout.selects(&b, "logs/path=b/x"));
        // `%` may be the layout's escape (`a%2Fb` for `a/b`).
        assert!(layout.selects(&b, "logs/path=a%2Fb/x"));
        // A literal with `/` names a value the object keys split: not judged.
        let slash = target(&[("path", &["'a/b'"])], &[]);
        assert!(layout.selects(&slash, "logs/path=a/b/x"));
    }
}
