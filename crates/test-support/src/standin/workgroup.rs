/// A workgroup the stand-in knows.
#[derive(Debug, Clone)]
pub struct WorkGroupSpec {
    pub name: String,
    pub description: String,
    /// `s3://bucket/prefix/` where results go.
    pub output_location: Option<String>,
    /// When true the workgroup's output location overrides the query's.
    pub enforce: bool,
    /// `BytesScannedCutoffPerQuery`: a query scanning more is cancelled.
    pub cutoff: Option<u64>,
}

impl WorkGroupSpec {
    pub fn new(name: &str, output_location: &str) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            output_location: Some(output_location.into()),
            enforce: false,
            cutoff: None,
        }
    }

    pub fn with_cutoff(mut self, bytes: u64) -> Self {
        self.cutoff = Some(bytes);
        self
    }

    pub fn enforced(mut self) -> Self {
        self.enforce = true;
        self
    }
}
