//! Exports a kept result to a file the user picked, as CSV or JSON, one row at a time read from
//! its chunk files in the disk-backed store, put in place atomically, and recorded in the audit
//! journal (`result_exported`: format, rows, the SHA-256 of the path, never data). The file is put in place only once the event is recorded:
//! nothing leaves Warden unrecorded.

use std::path::{Path, PathBuf};

use warden_audit::{Payload, ResultExported, Sha256Hex};
use warden_results::write_atomically;
pub use warden_results::{ExportFormat, ExportOptions, ResultsError, RowExporter};

use crate::results::KeptResult;
use crate::{CoreError, Gate};

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub rows: u64,
    pub path: PathBuf,
}

impl Gate {
    /// Writes `kept` (every row, not a page) to `path` as `options` say, and records it.
    pub fn export_result(
        &self,
        kept: &KeptResult,
        path: &Path,
        options: ExportOptions,
    ) -> Result<Exported, CoreError> {
        if !path.is_absolute() {
            return Err(CoreError::Export(format!(
                "{} is not an absolute path: give the full path of the file to write",
                path.display()
            )));
        }
        let rows = write_atomically(
            path,
            // One chunk file at a time from the store: the result is never in memory whole.
            |file| kept.result.export(file, options),
            |rows| {
                self.audit()
                    .record(Payload::ResultExported(ResultExported {
                        format: options.format.as_str().to_string(),
                        rows: *rows,
                        path_sha256: Sha256Hex::of(path.to_string_lossy().as_bytes()),
                        query_id: kept.query_id.clone(),
                        formula_guard: options.formula_guard,
                    }))
                    .map(|_| ())
                    .map_err(|e| {
                        ResultsError::Export(format!(
                            "the audit journal could not record the export ({e}); nothing was written"
                        ))
                    })
            },
        )
        .map_err(|e| match e {
            ResultsError::Export(message) => CoreError::Export(message),
            other => CoreError::Export(other.to_string()),
        })?;
        tracing::info!(rows, format = options.format.as_str(), "result exported");
        Ok(Exported {
            rows,
            path: path.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    use warden_engine::CancellationToken;

    use super::*;
    use crate::testing::{signed_gate, Recorder, POLICY};
    use crate::ResultStore;

    #[tokio::test]
    async fn a_kept_result_is_exported_whole_and_recorded_without_its_data_or_path() {
        let engine = Box::new(Recorder {
            executed: Arc::new(AtomicUsize::new(0)),
        });
        let (_fixture, gate) = signed_gate(POLICY, engine).await;
        let sql = "SELECT country, count(*) FROM customers GROUP BY 1";
        let execution = gate
            .run(sql, None, CancellationToken::new())
            .await
            .expect("allowed");
        let mut store = ResultStore::new(2);
        let id = store.insert(&execution);
        let kept = store.whole(&id, &BTreeSet::new()).expect("kept");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret-project.csv");
        let exported = gate
            .export_result(&kept, &path, ExportOptions::new(ExportFormat::Csv))
            .expect("exported");
        assert_eq!(exported.rows, execution.result.len());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(&execution.result.columns()[0].name),
            "{text}"
        );
        assert!(text.contains(sql), "the recorder's row is the SQL: {text}");
        let events = gate
            .audit()
            .events(&[warden_audit::Kind::ResultExported], None, None, false)
            .expect("events");
        assert_eq!(events.len(), 1);
        let payload = &events[0].payload;
        assert_eq!(payload["format"], "csv");
        assert_eq!(payload["rows"], exported.rows);
        assert_eq!(payload["query_id"], execution.query_id.as_str());
        assert_eq!(
            payload["path_sha256"],
            Sha256Hex::of(path.to_string_lossy().as_bytes()).as_str()
        );
        let recorded = payload.to_string();
        assert!(!recorded.contains("secret-project"), "{recorded}");
        assert!(!recorded.contains("country"), "no data: {recorded}");

        let relative = gate
            .export_result(
                &kept,
                Path::new("out.csv"),
                ExportOptions::new(ExportFormat::Json),
            )
            .unwrap_err();
        assert!(relative.to_string().contains("absolute path"), "{relative}");
        let nowhere = dir.path().join("missing").join("out.json");
        assert!(gate
            .export_result(&kept, &nowhere, ExportOptions::new(ExportFormat::Json))
            .is_err());
        assert_eq!(
            gate.audit()
                .events(&[warden_audit::Kind::ResultExported], None, None, false)
                .unwrap()
                .len(),
            1,
            "a failed export is not recorded as one"
        );
    }
}
