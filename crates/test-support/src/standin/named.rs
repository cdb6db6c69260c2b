//! Named queries as Athena keeps them per workgroup: `CreateNamedQuery` (idempotent per
//! `ClientRequestToken`), `ListNamedQueries` (pages of at most 50 ids), `BatchGetNamedQuery`
//! (at most 50 ids; unknown ones come back as unprocessed), `DeleteNamedQuery`.

use serde_json::{json, Value as Json};

/// One named query.
#[derive(Debug, Clone)]
pub(crate) struct Named {
    id: String,
    name: String,
    description: String,
    database: String,
    query: String,
    workgroup: String,
    token: Option<String>,
}

/// The stand-in's named queries, in creation order.
#[derive(Debug, Default)]
pub(crate) struct NamedQueries {
    all: Vec<Named>,
}

/// Athena's page and batch limit.
const MAX: usize = 50;

fn field<'a>(input: &'a Json, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Json::as_str)
}

impl NamedQueries {
    pub fn create(&mut self, input: &Json, workgroups: &[&str]) -> Result<Json, String> {
        let required = |name: &str| {
            field(input, name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{name} is required"))
        };
        let (name, database, query) = (
            required("Name")?,
            required("Database")?,
            required("QueryString")?,
        );
        let workgroup = field(input, "WorkGroup").unwrap_or("primary");
        if !workgroups.contains(&workgroup) {
            return Err(format!("WorkGroup {workgroup} is not found."));
        }
        let token = field(input, "ClientRequestToken").map(str::to_string);
        if let Some(same) = self
            .all
            .iter()
            .find(|n| token.is_some() && n.token == token)
        {
            return Ok(json!({"NamedQueryId": same.id}));
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.all.push(Named {
            id: id.clone(),
            name: name.into(),
            description: field(input, "Description").unwrap_or("").into(),
            database: database.into(),
            query: query.into(),
            workgroup: workgroup.into(),
            token,
        });
        Ok(json!({"NamedQueryId": id}))
    }

    pub fn list(&self, input: &Json) -> Result<Json, String> {
        let workgroup = field(input, "WorkGroup").unwrap_or("primary");
        let size = match input.get("MaxResults").and_then(Json::as_u64) {
            None => MAX,
            Some(n @ 1..=50) => n as usize,
            Some(n) => return Err(format!("MaxResults must be between 1 and 50, not {n}")),
        };
        let start = match field(input, "NextToken") {
            None => 0,
            Some(t) => t
                .parse::<usize>()
                .map_err(|_| "the NextToken is not one this service gave".to_string())?,
        };
        let ids: Vec<&str> = self
            .all
            .iter()
            .filter(|n| n.workgroup == workgroup)
            .map(|n| n.id.as_str())
            .collect();
        let end = (start + size).min(ids.len());
        let page = ids.get(start..end).unwrap_or_default();
        let mut out = json!({"NamedQueryIds": page});
        if end < ids.len() {
            out["NextToken"] = json!(end.to_string());
        }
        Ok(out)
    }

    pub fn batch_get(&self, input: &Json) -> Result<Json, String> {
        let ids: Vec<&str> = input
            .get("NamedQueryIds")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        if ids.is_empty() || ids.len() > MAX {
            return Err(format!(
                "NamedQueryIds must hold 1 to {MAX} ids, not {}",
                ids.len()
            ));
        }
        let mut found = Vec::new();
        let mut unprocessed = Vec::new();
        for id in ids {
            match self.all.iter().find(|n| n.id == id) {
                Some(n) => found.push(json!({
                    "NamedQueryId": n.id, "Name": n.name, "Description": n.description,
                    "Database": n.database, "QueryString": n.query, "WorkGroup": n.workgroup,
                })),
                None => unprocessed.push(json!({
                    "NamedQueryId": id, "ErrorCode": "INVALID_INPUT",
                    "ErrorMessage": "the named query does not exist",
                })),
            }
        }
        Ok(json!({"NamedQueries": found, "UnprocessedNamedQueryIds": unprocessed}))
    }

    pub fn delete(&mut self, input: &Json) -> Result<Json, String> {
        let id = field(input, "NamedQueryId").ok_or("NamedQueryId is required")?;
        let before = self.all.len();
        self.all.retain(|n| n.id != id);
        if self.all.len() == before {
            return Err(format!("the named query {id} does not exist"));
        }
        Ok(json!({}))
    }
}
