//! The native "Save as" dialog of Export (GTK, through tauri-plugin-dialog). The backend opens
//! it, so the window itself holds no dialog or file-system permission; the path it answers goes
//! back to the Export form, and `export_result` checks it like a typed one.

use std::path::Path;

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;
use warden_api::{ApiError, ExportFormat};

/// Asks where to write an export; `None` when the user closes the dialog.
#[tauri::command]
pub async fn choose_export_path(
    app: AppHandle,
    format: ExportFormat,
    suggested: String,
) -> Result<Option<String>, ApiError> {
    let (label, extension) = match format {
        ExportFormat::Csv => ("CSV", "csv"),
        ExportFormat::Json => ("JSON", "json"),
    };
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export result")
        .add_filter(label, &[extension]);
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    // A path typed before keeps its folder and name; otherwise Downloads, as browsers do.
    let typed = Path::new(suggested.trim());
    match (typed.parent(), typed.file_name()) {
        (Some(dir), Some(name)) if typed.is_absolute() && dir.is_dir() => {
            dialog = dialog
                .set_directory(dir)
                .set_file_name(name.to_string_lossy());
        }
        _ => {
            if let Some(dir) =
                directories::UserDirs::new().and_then(|d| d.download_dir().map(Path::to_path_buf))
            {
                dialog = dialog.set_directory(dir);
            }
            dialog = dialog.set_file_name(format!("result.{extension}"));
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |picked| {
        let _ = tx.send(picked);
    });
    let picked = rx
        .await
        .map_err(|_| ApiError::internal("the save dialog closed without an answer"))?;
    let Some(picked) = picked else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|e| ApiError::internal(format!("the save dialog gave no usable path: {e}")))?;
    path.to_str().map(|p| Some(p.to_string())).ok_or_else(|| {
        ApiError::internal(format!(
            "{} is not a UTF-8 path: pick a file name of plain characters",
            path.display()
        ))
    })
}
