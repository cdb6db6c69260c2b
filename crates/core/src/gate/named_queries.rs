use warden_engine::NamedQueries;

impl super::Gate {
    /// The named queries of the workgroup baseline runs use now, or `None` on a workspace
    /// whose engine has no workgroups (the demo). Listing them runs nothing: a named query
    /// opened in the editor is linted, and run through the gate, like any typed text.
    pub async fn named_queries(&self) -> Result<Option<NamedQueries>, String> {
        self.engine
            .named_queries()
            .await
            .map_err(|e| format!("the workgroup's named queries could not be read: {e}"))
    }
}
