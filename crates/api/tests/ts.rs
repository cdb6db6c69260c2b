//! The window's TypeScript types in `ui/src/gen/` are exactly what the Rust wire types
//! generate. Regenerate them with `make ts` (`WARDEN_WRITE_TS=1 cargo test -p warden-api --test ts`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn gen_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/gen")
}

fn checked_in(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ts") {
            let text = std::fs::read_to_string(&path).expect("a generated file reads");
            files.insert(PathBuf::from(entry.file_name()), text);
        }
    }
    files
}

#[test]
fn the_generated_typescript_is_current() {
    let generated = warden_api::ts::generate().expect("the types export");
    assert!(generated.contains_key(Path::new("LintReport.ts")));
    let dir = gen_dir();
    if std::env::var_os("WARDEN_WRITE_TS").is_some() {
        std::fs::create_dir_all(&dir).expect("ui/src/gen can be created");
        for stale in checked_in(&dir)
            .keys()
            .filter(|k| !generated.contains_key(*k))
        {
            std::fs::remove_file(dir.join(stale)).expect("a stale file can be removed");
        }
        for (name, text) in &generated {
            std::fs::write(dir.join(name), text).expect("a generated file can be written");
        }
        return;
    }
    let current = checked_in(&dir);
    let missing: Vec<_> = generated
        .keys()
        .filter(|k| !current.contains_key(*k))
        .collect();
    let extra: Vec<_> = current
        .keys()
        .filter(|k| !generated.contains_key(*k))
        .collect();
    let changed: Vec<_> = generated
        .iter()
        .filter(|(k, v)| current.get(*k).is_some_and(|c| c != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && changed.is_empty(),
        "ui/src/gen is stale (missing {missing:?}, not generated {extra:?}, changed {changed:?}); \
         run `make ts` and commit the result"
    );
}
