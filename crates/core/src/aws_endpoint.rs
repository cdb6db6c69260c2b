//! A workspace's own endpoint for an AWS service (`[athena.endpoints]`, `[elevation.endpoints]`),
//! which must win over the machine's environment.

use aws_config::SdkConfig;
use aws_types::origin::Origin;

/// `sdk` sending to `url`. A service client built from an `SdkConfig` takes
/// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` or a profile's `endpoint_url` over the
/// config's endpoint unless that endpoint is marked as set in code; one named in config.toml is
/// Warden's explicit setting, so it is marked so, and a variable left in a shell (LocalStack's,
/// say) cannot send a workspace's queries or requests elsewhere.
pub(crate) fn at_endpoint(sdk: &SdkConfig, url: &str) -> SdkConfig {
    let mut builder = sdk.to_builder().endpoint_url(url);
    builder.insert_origin("endpoint_url", Origin::shared_config());
    builder.build()
}
