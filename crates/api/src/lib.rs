//! The desktop app's wire: every type the app sends to its window (camelCase JSON, exported to
//! TypeScript in `ui/src/gen/` by `cargo test -p warden-api`), the error the window receives
//! with its `kind`, and the bodies of the app's commands as plain functions over `warden-core`,
//! so the Tauri commands are one-liners. Free of Tauri, so it is tested like the core.

pub mod approvals;
pub mod audit;
pub mod editor;
pub mod elevation;
pub mod error;
pub mod export;
pub mod format;
pub mod identity;
mod local_file;
pub mod named_queries;
pub mod policy;
pub mod progress;
pub mod query;
pub mod run_details;
pub mod running;
pub mod saved;
pub mod tabs;
pub mod ts;
pub mod workgroups;
pub mod workspace;
pub mod workspace_add;

pub use approvals::{ApprovalAction, ApprovalDone, Approvals};
pub use audit::{AuditEvent, AuditStatus};
pub use editor::{Catalog, CellValue, LintParameter, LintReport, QueryResult, RowPage};
pub use elevation::{ElevationDecision, ElevationRequest, ElevationStatus};
pub use error::{ApiError, ErrorKind};
pub use export::{ExportDone, ExportFormat};
pub use identity::{DeviceCode, SessionEnded, SignInStatus, WorkspaceEntry};
pub use named_queries::{NamedQueryEntry, WorkgroupQueries};
pub use policy::PolicyStatus;
pub use progress::{ArrivingResult, RunProgress};
pub use run_details::{RunDetails, RunState};
pub use running::RunningQueries;
pub use saved::{SaveQuery, SavedQuery};
pub use workgroups::{WorkgroupEntry, WorkgroupPicker};
pub use workspace::WorkspaceInfo;
pub use workspace_add::{NewWorkspace, NewWorkspaceSignIn};
