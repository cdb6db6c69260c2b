//! `warden login | logout | whoami | credentials`: AWS sign-in for athena workspaces. The
//! secrets stay in the OS keyring; the only command that prints one is `credentials`, whose
//! output is meant for the AWS CLI, boto3 or dbt reading it through `credential_process`.

use std::io::Write;

use warden_core::identity::{
    credential_process_json, SignInMethod, SignInPrompt, WorkspaceIdentity,
};
use warden_core::{CoreError, Home};

use crate::args::{Cli, CredentialsArgs, IdentityArgs, InfoFormat, LoginArgs, WhoamiArgs};
use crate::json;
use crate::EXIT_REFUSED;

fn open(
    home: &Home,
    ws: Option<&str>,
) -> Result<(tokio::runtime::Runtime, WorkspaceIdentity), String> {
    let rt = super::runtime()?;
    let identity = rt
        .block_on(WorkspaceIdentity::open(home, ws))
        .map_err(|e| e.to_string())?;
    Ok((rt, identity))
}

/// A refusal the user can fix by signing in (exit 1), or a configuration error (exit 2).
fn refused_or_error(e: CoreError) -> Result<u8, String> {
    use warden_core::identity::IdentityError as E;
    match e {
        CoreError::Identity(
            e @ (E::SignedOut { .. }
            | E::SessionEnded { .. }
            | E::DeviceCodeExpired
            | E::SignInAborted(_)
            | E::StateMismatch
            | E::Refused { .. }
            | E::Timeout { .. }
            | E::Unreachable { .. }),
        ) => {
            eprintln!("warden: {e}");
            Ok(EXIT_REFUSED)
        }
        other => Err(other.to_string()),
    }
}

/// Prints to stderr (stdout stays for results) and opens the browser with `$BROWSER`, else the
/// platform's opener.
struct Terminal;

impl SignInPrompt for Terminal {
    fn open_browser(&self, url: &str) {
        eprintln!("Opening the browser to sign in. If it does not open, visit:\n  {url}");
        if let Err(e) = warden_core::identity::open_url(url) {
            eprintln!("(could not open a browser: {e})");
        }
    }

    fn show_device_code(&self, user_code: &str, verification_uri: &str, complete: Option<&str>) {
        eprintln!(
            "To sign in, visit {verification_uri} and enter the code {user_code}{}",
            complete
                .map(|c| format!("\n(or open {c})"))
                .unwrap_or_default()
        );
    }
}

pub fn login(cli: &Cli, args: &LoginArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let (rt, identity) = open(&home, args.ws.workspace.as_deref())?;
    let method = if args.device_code {
        SignInMethod::DeviceCode
    } else {
        SignInMethod::Browser
    };
    let result = rt.block_on(async {
        identity.session.sign_in(method, &Terminal).await?;
        identity.confirm_identity().await
    });
    match result {
        Ok(who) => {
            println!(
                "signed in to {} as {} (account {}, role {})",
                identity.session.config().workspace,
                who.arn,
                who.account_id,
                who.role_name
            );
            Ok(0)
        }
        Err(e) => refused_or_error(e),
    }
}

pub fn logout(cli: &Cli, args: &IdentityArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let (rt, identity) = open(&home, args.workspace.as_deref())?;
    rt.block_on(identity.sign_out())
        .map_err(|e| e.to_string())?;
    println!(
        "signed out of {}; its secrets are gone from the OS keyring",
        identity.session.config().workspace
    );
    Ok(0)
}

pub fn whoami(cli: &Cli, args: &WhoamiArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let (rt, identity) = open(&home, args.ws.workspace.as_deref())?;
    let result = rt.block_on(async {
        let creds = identity.credentials.credentials().await?;
        let token_expires = identity.session.status().await?;
        let who = identity.confirm_identity().await?;
        Ok::<_, CoreError>((who, creds.expires_at, token_expires))
    });
    let (who, creds_expire, token_expires) = match result {
        Ok(v) => v,
        Err(e) => {
            use warden_core::identity::IdentityError as E;
            if matches!(
                e,
                CoreError::Identity(E::SignedOut { .. } | E::SessionEnded { .. })
            ) {
                let _ = identity.forget_identity();
            }
            return refused_or_error(e);
        }
    };
    let time = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let workspace = &identity.session.config().workspace;
    match args.format {
        InfoFormat::Text => {
            println!("workspace:           {workspace}");
            println!("identity:            {}", who.arn);
            println!("account:             {}", who.account_id);
            println!("role:                {}", who.role_name);
            println!(
                "sign-in expires:     {}",
                token_expires.map(time).unwrap_or_default()
            );
            println!("credentials expire:  {}", time(creds_expire));
        }
        InfoFormat::Json => json::print(&json::WhoAmI {
            workspace,
            identity: &who.arn,
            account_id: &who.account_id,
            role_name: &who.role_name,
            sign_in_expires_at: token_expires.map(time),
            credentials_expire_at: time(creds_expire),
        })?,
    }
    Ok(0)
}

pub fn credentials(cli: &Cli, args: &CredentialsArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let (rt, identity) = open(&home, Some(&args.workspace))?;
    let creds = if let Some(elevation) = &args.elevation {
        // Only a held grant's own credentials, never the baseline role for a caller who asked
        // for more, and never past the grant's end.
        // The broker's newest set first (credential_process is asked again when a set runs
        // out, so a grant longer than one set goes on), and a grant it has ended is wiped.
        match rt.block_on(warden_core::aws_hold::before_use(
            &home,
            &args.workspace,
            std::slice::from_ref(elevation),
        )) {
            Ok(before) => {
                for note in &before.notes {
                    eprintln!("warden: {note}");
                }
                if before.elevations.policy().elevation(elevation).is_none() {
                    eprintln!(
                        "warden: the policy in force in workspace `{}` no longer offers elevation `{elevation}`: no credentials printed",
                        args.workspace
                    );
                    return Ok(EXIT_REFUSED);
                }
            }
            // Signed out, no request bucket, no policy that can be trusted, or the broker not
            // answering: fail closed, whatever the keyring still holds.
            Err(e) => {
                eprintln!(
                    "warden: elevation `{elevation}` cannot be used in workspace `{}` ({e}): no credentials printed",
                    args.workspace
                );
                return Ok(EXIT_REFUSED);
            }
        }
        let now = chrono::Utc::now();
        let held =
            warden_core::aws_elevation::held(identity.session.vault(), &args.workspace, elevation)
                .map_err(|e| e.to_string())?
                .filter(|g| g.usable_at(now));
        let Some(g) = held else {
            eprintln!(
                "warden: elevation `{elevation}` is not held in workspace `{}`: no credentials printed",
                args.workspace
            );
            return Ok(EXIT_REFUSED);
        };
        if g.credentials_expire_at_ms > g.expires_at_ms {
            // Identity Center mode: the portal's session is not cut at the grant's end. The
            // Expiration below makes tools drop it then, but a copy stays valid at AWS.
            eprintln!(
                "warden: warning: these credentials stay valid at AWS until {}, after the grant's end at {} (an Identity Center session cannot be cut short); tools that honour Expiration stop using them at the grant's end",
                warden_core::aws_elevation::until_text(g.credentials_expire_at_ms),
                warden_core::aws_elevation::until_text(g.expires_at_ms)
            );
        }
        warden_core::identity::RoleCredentials {
            access_key_id: g.access_key_id.expose().to_string(),
            secret_access_key: g.secret_access_key.clone(),
            session_token: g.session_token.clone(),
            expires_at: g.expires_at_ms.min(g.credentials_expire_at_ms) / 1000,
            account_id: String::new(),
            role_name: String::new(),
        }
    } else {
        match rt.block_on(identity.credentials.credentials()) {
            Ok(creds) => creds,
            Err(e) => return refused_or_error(e.into()),
        }
    };
    let json = credential_process_json(&creds);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", json.expose()).map_err(|e| format!("cannot write: {e}"))?;
    Ok(0)
}
