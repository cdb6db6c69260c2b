//! Turns SDK errors into [`AthenaError`]s that name what failed and what is missing.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_athena::error::{ProvideErrorMetadata, SdkError};

use crate::AthenaError;

/// `action` is the IAM action of the call ("athena:StartQueryExecution").
pub(crate) fn classify<E, R>(action: &str, id: Option<&str>, e: SdkError<E, R>) -> AthenaError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    if let Some(why) = credentials_failure(&e) {
        return AthenaError::NoCredentials {
            action: action.into(),
            detail: why,
        };
    }
    let code = e.code().unwrap_or_default().to_string();
    let message = e.message().unwrap_or_default().to_string();
    if code.contains("AccessDenied") || code == "UnauthorizedOperation" || code == "Forbidden" {
        return AthenaError::Permission {
            action: action.into(),
            detail: if message.is_empty() { code } else { message },
        };
    }
    if let Some(id) = id {
        if code == "InvalidRequestException" && message.to_ascii_lowercase().contains("not found") {
            return AthenaError::UnknownQuery(id.into());
        }
    }
    let detail = match (&e, code.is_empty()) {
        (SdkError::TimeoutError(_), _) => "the call timed out".into(),
        (SdkError::DispatchFailure(_), _) => {
            "the connection failed (check the network and the endpoint)".into()
        }
        (_, false) if !message.is_empty() => format!("{code}: {message}"),
        (_, false) => code,
        _ => aws_sdk_athena::error::DisplayErrorContext(&e).to_string(),
    };
    AthenaError::Service {
        action: action.into(),
        detail,
    }
}

/// The credentials provider's refusal (signed out, the session ended), when that is why the
/// call was never sent: otherwise it reads as a failed connection.
fn credentials_failure<E, R>(e: &SdkError<E, R>) -> Option<String>
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let SdkError::DispatchFailure(failure) = e else {
        return None;
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        failure.as_connector_error().map(|c| c as _);
    while let Some(error) = source {
        if let Some(refusal) = error.downcast_ref::<CredentialsError>() {
            return Some(aws_sdk_athena::error::DisplayErrorContext(refusal).to_string());
        }
        source = error.source();
    }
    None
}
