//! `docs/rules.md` and the rule part of `docs/policy.schema.json` come from the kinds' files.
//! These tests fail when they drift; `WARDEN_UPDATE_DOCS=1 cargo test -p warden-guardrails
//! rules::docs` rewrites them.

use serde_json::{json, Map, Value};

use super::{Kind, Requires, KINDS};

const BEGIN: &str = "<!-- rules:begin: generated from crates/guardrails/src/rules/<kind>.rs; \
update with WARDEN_UPDATE_DOCS=1 cargo test -p warden-guardrails rules::docs -->";
const END: &str = "<!-- rules:end -->";

fn docs_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name)
}

fn update() -> bool {
    std::env::var_os("WARDEN_UPDATE_DOCS").is_some()
}

/// The `///` block documenting the kind's type: the one holding `## What it does`.
fn doc_block(kind: &Kind) -> String {
    let mut block: Vec<&str> = Vec::new();
    for line in kind.source.lines() {
        match line.trim_start().strip_prefix("///") {
            Some(text) => block.push(text.strip_prefix(' ').unwrap_or(text)),
            None if block.contains(&"## What it does") => break,
            None => block.clear(),
        }
    }
    assert!(
        !block.is_empty(),
        "{}: no `## What it does` block",
        kind.name
    );
    block
        .iter()
        .map(|l| match l.strip_prefix("## ") {
            Some(heading) => format!("### {heading}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn generated_sections() -> String {
    let mut out = String::new();
    for kind in KINDS {
        out.push_str(&format!("## {}\n\n{}\n\n", kind.name, doc_block(kind)));
    }
    out
}

#[test]
fn rules_md_is_generated_from_the_kinds() {
    let path = docs_path("rules.md");
    let text = std::fs::read_to_string(&path).expect("docs/rules.md");
    let (head, rest) = text
        .split_once(BEGIN)
        .expect("docs/rules.md has the begin marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/rules.md has the end marker");
    let expected = format!("{head}{BEGIN}\n\n{}{END}{tail}", generated_sections());
    if expected != text {
        if update() {
            std::fs::write(&path, expected).expect("write docs/rules.md");
        } else {
            panic!("docs/rules.md differs from the rule kinds' documentation: run WARDEN_UPDATE_DOCS=1 cargo test -p warden-guardrails rules::docs");
        }
    }
}

fn schema_of(kind: &Kind) -> Value {
    let mut properties = Map::new();
    let common = [
        ("id", "common_id"),
        ("severity", "common_severity"),
        ("message", "common_message"),
        ("unlocked_by", "common_unlocked_by"),
    ];
    for (key, def) in common {
        properties.insert(key.into(), json!({ "$ref": format!("#/$defs/{def}") }));
    }
    properties.insert("kind".into(), json!({ "const": kind.name }));
    for key in kind.keys {
        let schema: Value = serde_json::from_str(key.schema)
            .unwrap_or_else(|e| panic!("{}.{}: schema is not JSON: {e}", kind.name, key.name));
        properties.insert(key.name.into(), schema);
    }
    let mut rule = Map::new();
    rule.insert("properties".into(), Value::Object(properties));
    match kind.requires {
        Requires::Nothing => {}
        Requires::All(keys) => {
            rule.insert("required".into(), json!(keys));
        }
        Requires::AnyOf(keys) => {
            let any: Vec<Value> = keys.iter().map(|k| json!({ "required": [k] })).collect();
            rule.insert("anyOf".into(), Value::Array(any));
        }
    }
    rule.insert("additionalProperties".into(), json!(false));
    Value::Object(rule)
}

#[test]
fn schema_matches_the_kinds() {
    let path = docs_path("policy.schema.json");
    let text = std::fs::read_to_string(&path).expect("docs/policy.schema.json");
    let mut schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    let expected: Vec<Value> = KINDS.iter().map(|k| schema_of(k)).collect();
    let one_of = &mut schema["$defs"]["rule"]["oneOf"];
    if *one_of != Value::Array(expected.clone()) {
        if update() {
            *one_of = Value::Array(expected);
            let pretty = serde_json::to_string_pretty(&schema).expect("serialises");
            std::fs::write(&path, pretty + "\n").expect("write the schema");
        } else {
            let written = one_of.as_array().cloned().unwrap_or_default();
            let differ: Vec<&str> = KINDS
                .iter()
                .zip(expected.iter())
                .filter(|(_, e)| !written.iter().any(|w| w == *e))
                .map(|(k, _)| k.name)
                .collect();
            panic!("docs/policy.schema.json's rule kinds differ from the code ({differ:?}, or their order): run WARDEN_UPDATE_DOCS=1 cargo test -p warden-guardrails rules::docs");
        }
    }
}

#[test]
fn every_kind_reads_only_keys_the_policy_file_has() {
    let file_keys = crate::policy::file::RULE_KEYS;
    for kind in KINDS {
        for key in kind.keys {
            assert!(
                file_keys.contains(&key.name),
                "{}: key {} is not a field of RuleFile",
                kind.name,
                key.name
            );
        }
    }
    for key in file_keys {
        assert!(
            KINDS.iter().any(|k| k.keys.iter().any(|x| x.name == key)),
            "RuleFile's key {key} belongs to no kind"
        );
    }
}
