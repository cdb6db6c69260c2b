//! Workspaces of kind `athena`: their `[athena]` settings and the Athena engine built from
//! them with the workspace's AWS credentials. The engine is returned only to
//! `Workspace::open_gate`, which hands it to the gate; nothing else in the crate or outside
//! it can reach it.

use std::path::PathBuf;

use aws_config::identity::IdentityCache;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use serde::{Deserialize, Serialize};
use warden_engine_athena::{AthenaClients, AthenaEngine, AthenaSettings};

use crate::error::CoreError;

/// Athena's list price, USD per TB scanned.
pub const DEFAULT_PRICE_PER_TB: f64 = 5.0;
/// Athena's own default workgroup.
pub const DEFAULT_WORKGROUP: &str = "primary";
const DEFAULT_CATALOG: &str = "AwsDataCatalog";
/// Athena keeps reusable results for at most 7 days.
const MAX_REUSE_DAYS: i64 = 7;

/// `[workspaces.NAME.athena]`: where and how the workspace's queries run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AthenaConfig {
    /// The region of Athena, S3 and Glue; the sign-in's `region` when not set.
    #[serde(default)]
    pub region: Option<String>,
    /// `primary` when not set.
    #[serde(default)]
    pub workgroup: Option<String>,
    /// The workgroups analysts may pick in the window besides `workgroup`; any enabled one
    /// Athena lists for them when not set.
    #[serde(default)]
    pub workgroups: Option<Vec<String>>,
    /// `AwsDataCatalog` when not set.
    #[serde(default)]
    pub catalog: Option<String>,
    /// `s3://bucket/prefix/` for results, when the workgroup does not enforce its own.
    #[serde(default)]
    pub output_location: Option<String>,
    /// Reuse the result of the same query up to this old (`60m`, `1d`; at most 7 days).
    #[serde(default)]
    pub reuse_max_age: Option<String>,
    /// USD per TB scanned, for the cost shown and recorded (5 when not set).
    #[serde(default)]
    pub price_per_tb: Option<f64>,
    /// Local endpoints instead of AWS's (the sandbox). `AWS_ENDPOINT_URL_*` work too.
    #[serde(default)]
    pub endpoints: AthenaEndpoints,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AthenaEndpoints {
    #[serde(default)]
    pub athena: Option<String>,
    #[serde(default)]
    pub glue: Option<String>,
    /// Result objects are read path-style from here.
    #[serde(default)]
    pub s3: Option<String>,
}

/// The checked settings of one workspace, ready for the engine.
#[derive(Debug, Clone)]
pub(crate) struct AthenaSetup {
    pub settings: AthenaSettings,
    pub region: Option<String>,
    pub endpoints: AthenaEndpoints,
}

impl AthenaConfig {
    /// Checks the settings and fills in the defaults. `database` is the workspace's default
    /// database; results are kept under `cache_dir`.
    pub(crate) fn setup(
        &self,
        workspace: &str,
        database: Option<&str>,
        cache_dir: PathBuf,
    ) -> Result<AthenaSetup, CoreError> {
        let bad = |key: &str, message: String| CoreError::Config {
            path: PathBuf::from("config.toml"),
            message: format!("[workspaces.{workspace}.athena] {key}: {message}"),
        };
        let workgroup = self.workgroup.as_deref().unwrap_or(DEFAULT_WORKGROUP);
        if workgroup.trim().is_empty() {
            return Err(bad(
                "workgroup",
                "is empty; name a workgroup or remove the line to use `primary`".into(),
            ));
        }
        for w in self.workgroups.iter().flatten() {
            if w.trim().is_empty() || w.chars().any(char::is_whitespace) {
                return Err(bad(
                    "workgroups",
                    format!("{w:?} is not a workgroup name; list names such as [\"analysts\", \"adhoc\"]"),
                ));
            }
        }
        let mut settings = AthenaSettings::new(workgroup, cache_dir);
        settings.catalog = self
            .catalog
            .clone()
            .unwrap_or_else(|| DEFAULT_CATALOG.into());
        settings.database = database.map(str::to_string);
        if let Some(location) = &self.output_location {
            if !location.starts_with("s3://") || location.len() <= "s3://".len() {
                return Err(bad(
                    "output_location",
                    format!("{location:?} is not an S3 location such as s3://bucket/prefix/"),
                ));
            }
            settings.output_location = Some(location.clone());
        }
        if let Some(text) = &self.reuse_max_age {
            let age = warden_bundle::parse_duration(text)
                .ok()
                .filter(|d| *d >= chrono::Duration::minutes(1))
                .ok_or_else(|| {
                    bad(
                        "reuse_max_age",
                        format!("{text:?} is not a duration of a minute or more such as 60m or 1d"),
                    )
                })?;
            if age > chrono::Duration::days(MAX_REUSE_DAYS) {
                return Err(bad(
                    "reuse_max_age",
                    format!("{text:?} is longer than Athena's {MAX_REUSE_DAYS}-day maximum"),
                ));
            }
            settings.reuse_max_age = age.to_std().ok();
        }
        let price = self.price_per_tb.unwrap_or(DEFAULT_PRICE_PER_TB);
        if !price.is_finite() || price < 0.0 {
            return Err(bad(
                "price_per_tb",
                format!("{price} is not a price; give USD per TB scanned, such as 5"),
            ));
        }
        settings.price_per_tb = price;
        Ok(AthenaSetup {
            settings,
            region: self.region.clone(),
            endpoints: self.endpoints.clone(),
        })
    }
}

impl AthenaConfig {
    /// The workgroups the window may offer for baseline runs.
    pub(crate) fn workgroup_rules(&self) -> crate::gate::WorkgroupRules {
        crate::gate::WorkgroupRules {
            default: self
                .workgroup
                .clone()
                .unwrap_or_else(|| DEFAULT_WORKGROUP.to_string()),
            allowed: self.workgroups.clone(),
        }
    }
}

impl AthenaSetup {
    /// The `[athena]` region, else the sign-in's.
    pub(crate) fn region(&self, sign_in_region: Option<&str>) -> Result<String, CoreError> {
        self.region
            .as_deref()
            .or(sign_in_region)
            .map(str::to_string)
            .ok_or_else(|| {
                CoreError::Engine(
                    "the workspace names no AWS region: set `region` under [athena] or [sign_in]"
                        .into(),
                )
            })
    }

    /// How the workspace's audit journal reaches an S3 store: with `credentials` (the
    /// sign-in's), in the workspace's region (the store's own endpoint is the store's).
    pub(crate) async fn audit_store_sdk(
        &self,
        credentials: SharedCredentialsProvider,
        sign_in_region: Option<&str>,
    ) -> Result<aws_config::SdkConfig, CoreError> {
        Ok(sdk_config(Some(credentials), self.region(sign_in_region)?).await)
    }

    /// The engine, signing its calls with `credentials` in `region` (the `[athena]` region
    /// wins over the sign-in's).
    pub(crate) async fn engine(
        self,
        credentials: SharedCredentialsProvider,
        sign_in_region: Option<&str>,
    ) -> Result<AthenaEngine, CoreError> {
        std::fs::create_dir_all(&self.settings.cache_dir)
            .map_err(|e| CoreError::io("create", &self.settings.cache_dir, e))?;
        let clients = self.clients(Some(credentials), sign_in_region).await?;
        Ok(AthenaEngine::new(clients, self.settings))
    }

    /// The Athena, Glue and S3 clients, at the workspace's endpoints. Without `credentials`
    /// they take the AWS SDK's own chain (environment, profile), as the AWS CLI would.
    pub(crate) async fn clients(
        &self,
        credentials: Option<SharedCredentialsProvider>,
        sign_in_region: Option<&str>,
    ) -> Result<AthenaClients, CoreError> {
        let region = self.region(sign_in_region)?;
        let sdk = sdk_config(credentials, region).await;
        let for_endpoint = |endpoint: &Option<String>| match endpoint {
            Some(url) => crate::aws_endpoint::at_endpoint(&sdk, url),
            None => sdk.clone(),
        };
        let mut clients = AthenaClients::with_s3_endpoint(
            &for_endpoint(&self.endpoints.athena),
            self.endpoints.s3.as_deref(),
        );
        clients.glue = AthenaClients::new(&for_endpoint(&self.endpoints.glue)).glue;
        Ok(clients)
    }
}

/// The SDK configuration of an `athena` workspace's clients in `region`. Without `credentials`
/// they take the AWS SDK's own chain (environment, profile).
async fn sdk_config(
    credentials: Option<SharedCredentialsProvider>,
    region: String,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region));
    if let Some(credentials) = credentials {
        // No SDK cache in front of Warden's provider: it answers only while the sign-in
        // lasts (and keeps its own cache), so a signed-out or ended session stops the next
        // call, not the call after the cached credentials run out an hour later.
        loader = loader
            .credentials_provider(credentials)
            .identity_cache(IdentityCache::no_cache());
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse(text: &str) -> AthenaConfig {
        toml::from_str(text).expect("parses")
    }

    #[test]
    fn defaults_are_athenas() {
        let setup = AthenaConfig::default()
            .setup("aws", Some("sales"), PathBuf::from("/tmp/x"))
            .expect("defaults");
        assert_eq!(setup.settings.workgroup, "primary");
        assert_eq!(setup.settings.catalog, "AwsDataCatalog");
        assert_eq!(setup.settings.database.as_deref(), Some("sales"));
        assert_eq!(setup.settings.price_per_tb, 5.0);
        assert!(setup.settings.reuse_max_age.is_none());
        assert!(setup.settings.output_location.is_none());
    }

    #[test]
    fn every_setting_reaches_the_engine() {
        let setup = parse(
            "region = \"eu-west-1\"\nworkgroup = \"analysts\"\ncatalog = \"other\"\noutput_location = \"s3://r/p/\"\nreuse_max_age = \"60m\"\nprice_per_tb = 6.25\n[endpoints]\nathena = \"http://127.0.0.1:1\"\n",
        )
        .setup("aws", None, PathBuf::from("/tmp/x"))
        .expect("valid");
        assert_eq!(setup.settings.workgroup, "analysts");
        assert_eq!(setup.settings.catalog, "other");
        assert_eq!(setup.settings.output_location.as_deref(), Some("s3://r/p/"));
        assert_eq!(
            setup.settings.reuse_max_age,
            Some(Duration::from_secs(3600))
        );
        assert_eq!(setup.settings.price_per_tb, 6.25);
        assert_eq!(setup.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            setup.endpoints.athena.as_deref(),
            Some("http://127.0.0.1:1")
        );
    }

    #[test]
    fn bad_settings_name_the_key_and_what_to_do() {
        for (text, key, says) in [
            (
                "output_location = \"bucket/prefix\"",
                "output_location",
                "s3://bucket/prefix/",
            ),
            ("reuse_max_age = \"30d\"", "reuse_max_age", "7-day maximum"),
            ("reuse_max_age = \"soon\"", "reuse_max_age", "60m"),
            (
                "reuse_max_age = \"10s\"",
                "reuse_max_age",
                "a minute or more",
            ),
            ("price_per_tb = -1.0", "price_per_tb", "USD per TB"),
            ("workgroup = \" \"", "workgroup", "primary"),
        ] {
            let error = parse(text)
                .setup("aws", None, PathBuf::from("/tmp/x"))
                .expect_err(text)
                .to_string();
            assert!(
                error.contains(&format!("[workspaces.aws.athena] {key}")) && error.contains(says),
                "{text}: {error}"
            );
        }
        assert!(toml::from_str::<AthenaConfig>("work_group = \"x\"").is_err());
    }
}
