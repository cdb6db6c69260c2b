//! How a sign-in talks to the user: the CLI prints, the app shows a dialog.

/// Shown or opened during a sign-in. Implementations must not block for long.
pub trait SignInPrompt: Send + Sync {
    /// Opens the user's browser on `url` (the authorize page or the device verification page).
    /// When that fails the implementation shows the URL so the user can open it by hand.
    fn open_browser(&self, url: &str);
    /// Shows the user code of the device flow and where to enter it.
    fn show_device_code(&self, user_code: &str, verification_uri: &str, complete_uri: Option<&str>);
}
