//! Saved queries: a name, a description, the text and its database, kept per workspace in a file
//! of the data folder on this machine (`<data>/saved/<workspace>.json`), like the tabs: never in
//! the journal or the central store. Saving under a name that exists replaces that query.
//! A file that cannot be read is reported, never overwritten: it holds the user's work.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use warden_core::Home;

use crate::error::{ApiError, ErrorKind};
use crate::local_file::{read_bounded, workspace_file, write_atomically, ReadError};

/// At most this many saved queries per workspace.
pub const MAX_SAVED: usize = 500;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// A saved text is at most what the guardrails lint.
pub const MAX_SQL_BYTES: usize = 262_144;
/// The whole file, so reading it is bounded too.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One saved query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedQuery {
    pub name: String,
    pub description: String,
    pub sql: String,
    pub database: Option<String>,
    /// When it was last saved, in milliseconds since the epoch.
    pub saved_at: i64,
}

/// What the window asks to save.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SaveQuery {
    pub name: String,
    pub description: String,
    pub sql: String,
    pub database: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SavedFile {
    format: u32,
    queries: Vec<SavedQuery>,
}

const FORMAT: u32 = 1;

/// `saved_queries`: the workspace's saved queries, by name.
pub fn saved_queries(home: &Home, workspace: &str) -> Result<Vec<SavedQuery>, ApiError> {
    let path = workspace_file(home, "saved", workspace, "saved queries")?;
    read(&path)
}

/// `save_query`: saves `query` (replacing one of the same name, whatever its case) and returns
/// the list.
pub fn save_query(
    home: &Home,
    workspace: &str,
    query: SaveQuery,
    now_ms: i64,
) -> Result<Vec<SavedQuery>, ApiError> {
    let query = checked(query)?;
    let path = workspace_file(home, "saved", workspace, "saved queries")?;
    let mut queries = read(&path)?;
    let same = |q: &SavedQuery| q.name.to_lowercase() == query.name.to_lowercase();
    if !queries.iter().any(same) && queries.len() >= MAX_SAVED {
        return Err(ApiError::new(
            ErrorKind::Blocked,
            format!("there are already {MAX_SAVED} saved queries: delete some before saving more"),
        ));
    }
    queries.retain(|q| !same(q));
    queries.push(SavedQuery {
        name: query.name,
        description: query.description,
        sql: query.sql,
        database: query.database,
        saved_at: now_ms,
    });
    write(&path, queries)
}

/// `delete_saved_query`: removes the query named `name` and returns the list.
pub fn delete_saved_query(
    home: &Home,
    workspace: &str,
    name: &str,
) -> Result<Vec<SavedQuery>, ApiError> {
    let path = workspace_file(home, "saved", workspace, "saved queries")?;
    let mut queries = read(&path)?;
    let before = queries.len();
    queries.retain(|q| q.name != name);
    if queries.len() == before {
        return Err(ApiError::invalid(format!(
            "there is no saved query named {name:?}: it may have been deleted already"
        )));
    }
    write(&path, queries)
}

/// The request with its name and description trimmed, or why it cannot be saved.
fn checked(mut query: SaveQuery) -> Result<SaveQuery, ApiError> {
    query.name = query.name.trim().to_string();
    query.description = query.description.trim().to_string();
    if query.name.is_empty() {
        return Err(ApiError::invalid("give the query a name to save it under"));
    }
    if query.name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "the name is too long: at most {MAX_NAME_CHARS} characters"
        )));
    }
    if query.name.chars().any(char::is_control) || query.description.contains('\0') {
        return Err(ApiError::invalid(
            "the name holds a control character: use letters, digits, spaces and punctuation",
        ));
    }
    if query.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid(format!(
            "the description is too long: at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if query.sql.trim().is_empty() {
        return Err(ApiError::invalid(
            "the query is empty: write it before saving",
        ));
    }
    if query.sql.len() > MAX_SQL_BYTES {
        return Err(ApiError::invalid(format!(
            "the query is too long to save: at most {MAX_SQL_BYTES} bytes"
        )));
    }
    Ok(query)
}

fn read(path: &Path) -> Result<Vec<SavedQuery>, ApiError> {
    let unreadable = |why: String| {
        ApiError::internal(format!(
            "the saved queries at {} cannot be read ({why}); move the file away to start a new list",
            path.display()
        ))
    };
    let text = match read_bounded(path, MAX_FILE_BYTES) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Vec::new()),
        Err(ReadError::TooLarge(bytes)) => {
            return Err(unreadable(format!(
                "{bytes} bytes, at most {MAX_FILE_BYTES}"
            )))
        }
        Err(ReadError::Io(e)) => return Err(unreadable(e.to_string())),
    };
    let file: SavedFile = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    if file.format != FORMAT {
        return Err(unreadable(format!(
            "format {}, this Warden reads format {FORMAT}",
            file.format
        )));
    }
    let mut queries = file.queries;
    queries.sort_by_key(|q| q.name.to_lowercase());
    Ok(queries)
}

fn write(path: &Path, mut queries: Vec<SavedQuery>) -> Result<Vec<SavedQuery>, ApiError> {
    queries.sort_by_key(|q| q.name.to_lowercase());
    let file = SavedFile {
        format: FORMAT,
        queries,
    };
    let text = serde_json::to_vec_pretty(&file)
        .map_err(|e| ApiError::internal(format!("the saved queries cannot be written: {e}")))?;
    write_atomically(path, &text).map_err(|e| {
        ApiError::internal(format!(
            "cannot write the saved queries at {}: {e}",
            path.display()
        ))
    })?;
    Ok(file.queries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let home = Home::under(dir.path());
        (dir, home)
    }

    fn ask(name: &str, sql: &str) -> SaveQuery {
        SaveQuery {
            name: name.into(),
            description: "  weekly numbers ".into(),
            sql: sql.into(),
            database: Some("sales".into()),
        }
    }

    #[test]
    fn saved_queries_are_listed_by_name_replaced_by_name_and_deleted() {
        let (_dir, home) = home();
        assert_eq!(saved_queries(&home, "demo").unwrap(), []);
        save_query(&home, "demo", ask(" Orders ", "SELECT 1"), 1_000).unwrap();
        let list = save_query(&home, "demo", ask("customers", "SELECT 2"), 2_000).unwrap();
        assert_eq!(
            list.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(),
            ["customers", "Orders"]
        );
        assert_eq!(list[1].description, "weekly numbers");
        // The same name in another case replaces it.
        let list = save_query(&home, "demo", ask("ORDERS", "SELECT 3"), 3_000).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].name, "ORDERS");
        assert_eq!(list[1].sql, "SELECT 3");
        assert_eq!(list[1].saved_at, 3_000);
        // Kept on disk, for this workspace only.
        assert_eq!(saved_queries(&home, "demo").unwrap(), list);
        assert_eq!(saved_queries(&home, "prod").unwrap(), []);
        let list = delete_saved_query(&home, "demo", "customers").unwrap();
        assert_eq!(list.len(), 1);
        let gone = delete_saved_query(&home, "demo", "customers").unwrap_err();
        assert_eq!(gone.kind, ErrorKind::Invalid);
        assert!(
            gone.message.contains("no saved query named"),
            "{}",
            gone.message
        );
    }

    #[test]
    fn bad_requests_say_what_to_fix() {
        let (_dir, home) = home();
        for (query, says) in [
            (ask("  ", "SELECT 1"), "give the query a name"),
            (ask(&"n".repeat(101), "SELECT 1"), "name is too long"),
            (ask("a\nb", "SELECT 1"), "control character"),
            (ask("empty", " \n"), "the query is empty"),
            (
                ask("huge", &"x".repeat(MAX_SQL_BYTES + 1)),
                "too long to save",
            ),
        ] {
            let refused = save_query(&home, "demo", query, 0).unwrap_err();
            assert_eq!(refused.kind, ErrorKind::Invalid);
            assert!(refused.message.contains(says), "{}", refused.message);
        }
        let refused = save_query(&home, "../out", ask("x", "SELECT 1"), 0).unwrap_err();
        assert!(
            refused.message.contains("plain file name"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn the_list_is_bounded() {
        let (_dir, home) = home();
        let full = (0..MAX_SAVED)
            .map(|i| SavedQuery {
                name: format!("q{i}"),
                description: String::new(),
                sql: "SELECT 1".into(),
                database: None,
                saved_at: 0,
            })
            .collect();
        write(&home.data.join("saved/demo.json"), full).unwrap();
        let refused = save_query(&home, "demo", ask("one more", "SELECT 1"), 0).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Blocked);
        // Replacing one is still fine.
        save_query(&home, "demo", ask("q7", "SELECT 7"), 0).unwrap();
    }

    #[test]
    fn an_unreadable_file_is_reported_and_left_alone() {
        let (_dir, home) = home();
        let path = home.data.join("saved/demo.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        let refused = save_query(&home, "demo", ask("x", "SELECT 1"), 0).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Internal);
        assert!(
            refused.message.contains("move the file away"),
            "{}",
            refused.message
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
        std::fs::write(&path, r#"{"format": 9, "queries": []}"#).unwrap();
        let refused = saved_queries(&home, "demo").unwrap_err();
        assert!(refused.message.contains("format 9"), "{}", refused.message);
    }
}
