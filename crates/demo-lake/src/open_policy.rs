//! A policy that knows the lake's tables and has no rules, for the engine's own tests and
//! benchmarks (the demo workspace's policy, with its rules, is `warden-core`'s).

use std::fmt::Write;

use crate::describe;

/// The YAML of a policy named `name` whose catalog is the lake's tables, their columns and
/// partition keys, and which has no rules: every statement over them is allowed.
pub fn open_policy_yaml(name: &str) -> String {
    let mut yaml = format!("format: warden-policy/1\nname: {name}\ncatalog:\n  databases:\n");
    let tables = describe();
    let mut databases: Vec<&str> = tables.iter().map(|t| t.database).collect();
    databases.dedup();
    for db in databases {
        let _ = writeln!(yaml, "    {db}:\n      tables:");
        for t in tables.iter().filter(|t| t.database == db) {
            let _ = writeln!(yaml, "        {}:\n          columns:", t.name);
            for c in &t.columns {
                let _ = writeln!(
                    yaml,
                    "            {}: {}",
                    c.name,
                    c.data_type.athena_name()
                );
            }
            let keys = t.partition_keys().join(", ");
            let _ = writeln!(yaml, "          partition_keys: [{keys}]");
        }
    }
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_and_column_is_listed_once() {
        let yaml = open_policy_yaml("t");
        assert!(yaml.starts_with("format: warden-policy/1\nname: t\n"));
        for t in describe() {
            assert_eq!(yaml.matches(&format!("    {}:\n", t.database)).count(), 1);
            assert!(yaml.contains(&format!("        {}:\n          columns:\n", t.name)));
            for c in &t.columns {
                assert!(
                    yaml.contains(&format!("            {}: ", c.name)),
                    "{}",
                    c.name
                );
            }
        }
    }
}
