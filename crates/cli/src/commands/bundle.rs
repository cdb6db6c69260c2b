use warden_bundle::{build, keygen, parse_duration, publish, verify, RemoteOptions, SigningKey, TrustStore, VerifyOptions};

use crate::args::BundleCommand;
use crate::EXIT_REFUSED;

pub fn run(command: &BundleCommand) -> Result<u8, String> {
    match command {
        BundleCommand::Keygen { out } => {
            let id = keygen(out).map_err(|e| e.to_string())?;
            println!("key id {id}: private key in {}, public key in {}.pub", out.display(), out.display());
            Ok(0)
        }
        BundleCommand::Build { policy, catalog, revision, expires_in, key, out } => {
            let policy_yaml =
                std::fs::read(policy).map_err(|e| format!("cannot read the policy {}: {e}", policy.display()))?;
            let catalog = match catalog {
                Some(path) => Some(std::fs::read(path).map_err(|e| format!("cannot read the catalog {}: {e}", path.display()))?),
                None => None,
            };
            let expires_in = parse_duration(expires_in).map_err(|e| e.to_string())?;
            let key = SigningKey::from_file(key).map_err(|e| e.to_string())?;
            let bytes = build(&policy_yaml, catalog.as_deref(), *revision, expires_in, &key, chrono::Utc::now())
                .map_err(|e| format!("{}: {e}", policy.display()))?;
            std::fs::write(out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!("wrote {} (revision {revision}, {} bytes, signed by key {})", out.display(), bytes.len(), key.id());
            Ok(0)
        }
        BundleCommand::Verify { trust, min_revision, bundle } => {
            let mut store = TrustStore::new();
            for t in trust {
                store.add_path_or_text(t).map_err(|e| e.to_string())?;
            }
            let bytes = std::fs::read(bundle).map_err(|e| format!("cannot read {}: {e}", bundle.display()))?;
            let mut options = VerifyOptions::new(chrono::Utc::now());
            options.min_revision = *min_revision;
            match verify(&bytes, &store, &options) {
                Ok(verified) => {
                    println!("{}", verified.summary());
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("warden: {}: {e}", bundle.display());
                    Ok(EXIT_REFUSED)
                }
            }
        }
        BundleCommand::Publish { bundle, to } => {
            let bytes = std::fs::read(bundle).map_err(|e| format!("cannot read {}: {e}", bundle.display()))?;
            let published = super::runtime()?
                .block_on(publish(&bytes, to, &RemoteOptions::default()))
                .map_err(|e| e.to_string())?;
            let note = if published.already_published { " (it was already there)" } else { "" };
            println!("published {} revision {} to {}{note}", published.name, published.revision, published.object);
            Ok(0)
        }
    }
}
