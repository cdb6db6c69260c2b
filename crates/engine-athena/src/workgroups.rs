//! The workgroups a caller may pick: `ListWorkGroups` (paginated), then `GetWorkGroup` for each
//! enabled one, for its scan cutoff (`BytesScannedCutoffPerQuery`).

use aws_sdk_athena::types::WorkGroupState;
use warden_engine::Workgroup;

use crate::sdk_error::classify;
use crate::AthenaError;

/// Every enabled workgroup the caller can list, in name order.
pub async fn list(athena: &aws_sdk_athena::Client) -> Result<Vec<Workgroup>, AthenaError> {
    let mut names = Vec::new();
    let mut pages = athena.list_work_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("athena:ListWorkGroups", None, e))?;
        names.extend(
            page.work_groups()
                .iter()
                .filter(|w| w.state() != Some(&WorkGroupState::Disabled))
                .filter_map(|w| w.name().map(str::to_string)),
        );
    }
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let got = athena
            .get_work_group()
            .work_group(&name)
            .send()
            .await
            .map_err(|e| classify("athena:GetWorkGroup", None, e))?;
        let Some(w) = got.work_group() else {
            continue;
        };
        if w.state() == Some(&WorkGroupState::Disabled) {
            continue;
        }
        out.push(Workgroup {
            name,
            description: w.description().unwrap_or_default().to_string(),
            cutoff_bytes: w
                .configuration()
                .and_then(|c| c.bytes_scanned_cutoff_per_query())
                .and_then(|b| u64::try_from(b).ok()),
        });
    }
    Ok(out)
}
