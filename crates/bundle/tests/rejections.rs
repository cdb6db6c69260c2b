//! One test per reason a bundle is refused, plus the happy path.

mod common;

use chrono::Duration;
use common::*;
use warden_bundle::{
    build, verify, BundleError, Limits, PublicKey, SigningKey, TrustStore, VerifyOptions,
};

fn options() -> VerifyOptions {
    VerifyOptions::new(t0())
}

#[test]
fn a_fresh_bundle_verifies_and_carries_the_policy() {
    let keys = keys();
    let bytes = build(
        POLICY.as_bytes(),
        Some(b"databases: {}\n"),
        7,
        Duration::days(30),
        &keys.signing,
        t0(),
    )
    .unwrap();
    let bundle = verify(&bytes, &keys.trust, &options()).unwrap();
    assert_eq!(bundle.name(), "finance");
    assert_eq!(bundle.revision(), 7);
    assert_eq!(bundle.key_id(), keys.signing.id().as_str());
    assert_eq!(bundle.policy().name(), "finance");
    assert_eq!(bundle.policy_yaml(), POLICY);
    assert_eq!(bundle.catalog(), Some("databases: {}\n"));
    assert_eq!(bundle.expires_at(), t0() + Duration::days(30));
    assert!(bundle.summary().contains("revision 7 valid"));
    let names: Vec<String> = unpack(&bytes).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["manifest.json", "policy.yaml", "catalog.yaml", "signature"]
    );
}

#[test]
fn build_refuses_an_invalid_policy_with_the_lint_error() {
    let keys = keys();
    let err = build(
        b"format: warden-policy/9\nname: x\n",
        None,
        1,
        Duration::days(1),
        &keys.signing,
        t0(),
    )
    .unwrap_err();
    assert!(matches!(err, BundleError::PolicyInvalid(_)), "{err}");
    assert!(err.to_string().contains("warden-policy/1"), "{err}");
    let err = build(
        POLICY.as_bytes(),
        None,
        0,
        Duration::days(1),
        &keys.signing,
        t0(),
    )
    .unwrap_err();
    assert!(matches!(err, BundleError::InvalidRevision(0)));
}

#[test]
fn altered_manifest_is_a_bad_signature() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let tampered = repack(&bytes, |files| {
        let manifest = &mut files
            .iter_mut()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1;
        let text = String::from_utf8(manifest.clone())
            .unwrap()
            .replace("\"revision\": 1", "\"revision\": 9");
        *manifest = text.into_bytes();
    });
    let err = verify(&tampered, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::BadSignature { .. }), "{err}");
}

#[test]
fn missing_signature_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let stripped = repack(&bytes, |files| files.retain(|(n, _)| n != "signature"));
    let err = verify(&stripped, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::SignatureMissing), "{err}");
}

#[test]
fn malformed_signature_file_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let broken = repack(&bytes, |files| {
        files.iter_mut().find(|(n, _)| n == "signature").unwrap().1 =
            b"{\"algorithm\":\"rsa\",\"key_id\":\"x\",\"signature\":\"00\"}".to_vec();
    });
    let err = verify(&broken, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::SignatureInvalid { .. }), "{err}");
}

#[test]
fn unknown_key_id_is_refused_and_names_the_trusted_keys() {
    let signer = keys();
    let other = keys();
    let bytes = bundle(&signer, 1, POLICY, t0());
    let err = verify(&bytes, &other.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::UnknownKey { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(signer.signing.id().as_str())
            && message.contains(other.signing.id().as_str()),
        "{message}"
    );
}

#[test]
fn signature_by_another_key_under_a_trusted_key_id_is_a_bad_signature() {
    let trusted = keys();
    let attacker = keys();
    let genuine = bundle(&trusted, 1, POLICY, t0());
    let forged = bundle(&attacker, 1, POLICY, t0());
    let genuine_sig = unpack(&genuine)
        .into_iter()
        .find(|(n, _)| n == "signature")
        .unwrap()
        .1;
    let trusted_id = trusted.signing.id().to_string();
    let attacker_id = attacker.signing.id().to_string();
    // Attacker's signature relabelled with the trusted key id.
    let relabelled = repack(&forged, |files| {
        let sig = &mut files.iter_mut().find(|(n, _)| n == "signature").unwrap().1;
        *sig = String::from_utf8(sig.clone())
            .unwrap()
            .replace(&attacker_id, &trusted_id)
            .into_bytes();
    });
    let err = verify(&relabelled, &trusted.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::BadSignature { .. }), "{err}");
    assert!(!genuine_sig.is_empty());
}

#[test]
fn rotation_trusts_several_keys_at_once() {
    let old = keys();
    let new = keys();
    let mut trust = TrustStore::new();
    trust.add(old.signing.public_key().clone());
    trust.add(PublicKey::from_text(&new.signing.public_key().to_text()).unwrap());
    assert!(verify(&bundle(&old, 1, POLICY, t0()), &trust, &options()).is_ok());
    assert!(verify(&bundle(&new, 2, POLICY, t0()), &trust, &options()).is_ok());
}

#[test]
fn altered_policy_is_a_hash_mismatch() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let tampered = repack(&bytes, |files| {
        files
            .iter_mut()
            .find(|(n, _)| n == "policy.yaml")
            .unwrap()
            .1 = policy_text("loosened").into_bytes();
    });
    let err = verify(&tampered, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::HashMismatch { ref file, .. } if file == "policy.yaml"),
        "{err}"
    );
}

#[test]
fn file_listed_but_absent_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let stripped = repack(&bytes, |files| files.retain(|(n, _)| n != "policy.yaml"));
    let err = verify(&stripped, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::FileMissing { ref file } if file == "policy.yaml"),
        "{err}"
    );
}

#[test]
fn file_present_but_unlisted_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let extended = repack(&bytes, |files| {
        files.push(("extra.yaml".into(), b"x: 1\n".to_vec()))
    });
    let err = verify(&extended, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::FileExtra { ref file } if file == "extra.yaml"),
        "{err}"
    );
}

#[test]
fn missing_manifest_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let stripped = repack(&bytes, |files| files.retain(|(n, _)| n != "manifest.json"));
    let err = verify(&stripped, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::ManifestMissing), "{err}");
}

#[test]
fn path_traversal_is_refused() {
    let keys = keys();
    for name in ["../policy.yaml", "/etc/policy.yaml", "sub/policy.yaml"] {
        let bytes = pack_raw(&[Raw::File(name, b"x")]);
        let err = verify(&bytes, &keys.trust, &options()).unwrap_err();
        assert!(
            matches!(err, BundleError::PathTraversal { ref entry } if entry == name),
            "{name}: {err}"
        );
    }
}

#[test]
fn symlinks_and_hard_links_are_refused() {
    let keys = keys();
    let symlink = pack_raw(&[Raw::Symlink("policy.yaml", "/etc/passwd")]);
    let err = verify(&symlink, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::LinkOrSpecialEntry { .. }),
        "{err}"
    );
    let hardlink = pack_raw(&[Raw::File("a", b"x"), Raw::HardLink("policy.yaml", "a")]);
    let err = verify(&hardlink, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::LinkOrSpecialEntry { .. }),
        "{err}"
    );
    let dir = pack_raw(&[Raw::Dir("d")]);
    let err = verify(&dir, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::LinkOrSpecialEntry { .. }),
        "{err}"
    );
}

#[test]
fn archive_unpacking_past_the_size_cap_is_refused() {
    let keys = keys();
    // 64 MiB of zeros compresses to about 64 KiB: a small download, a large unpack.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = pack_raw(&[Raw::File("policy.yaml", &zeros)]);
    assert!(bomb.len() < 1024 * 1024);
    let err = verify(&bomb, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::ArchiveTooLarge { .. }), "{err}");
    // The cap also holds when no single header lies about the size.
    let mut small = options();
    small.limits = Limits {
        max_unpacked_bytes: 4096,
        max_entries: 16,
    };
    let many = pack_raw(&[Raw::File("a", &[1u8; 3000]), Raw::File("b", &[2u8; 3000])]);
    let err = verify(&many, &keys.trust, &small).unwrap_err();
    assert!(
        matches!(err, BundleError::ArchiveTooLarge { limit: 4096 }),
        "{err}"
    );
}

#[test]
fn too_many_entries_is_refused() {
    let keys = keys();
    let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
    let entries: Vec<Raw<'_>> = names.iter().map(|n| Raw::File(n, b"x")).collect();
    let err = verify(&pack_raw(&entries), &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::TooManyEntries { limit: 16 }),
        "{err}"
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let keys = keys();
    let bytes = pack_raw(&[
        Raw::File("policy.yaml", b"a"),
        Raw::File("policy.yaml", b"b"),
    ]);
    let err = verify(&bytes, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::DuplicateEntry { .. }), "{err}");
}

#[test]
fn garbage_is_not_an_archive() {
    let keys = keys();
    let err = verify(b"<html>503</html>", &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::NotAnArchive { .. }), "{err}");
}

#[test]
fn issued_too_far_in_the_future_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0() + Duration::hours(1));
    let err = verify(&bytes, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::IssuedInFuture { .. }), "{err}");
    // Within the allowed skew it is fine.
    let slightly = bundle(&keys, 1, POLICY, t0() + Duration::minutes(2));
    assert!(verify(&slightly, &keys.trust, &options()).is_ok());
}

#[test]
fn expired_bundle_is_refused() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let mut later = options();
    later.now = t0() + Duration::days(31);
    let err = verify(&bytes, &keys.trust, &later).unwrap_err();
    assert!(matches!(err, BundleError::Expired { .. }), "{err}");
}

#[test]
fn revision_below_the_minimum_is_a_rollback() {
    let keys = keys();
    let bytes = bundle(&keys, 3, POLICY, t0());
    let mut opts = options();
    opts.min_revision = Some(4);
    let err = verify(&bytes, &keys.trust, &opts).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Rollback {
                revision: 3,
                minimum: 4,
                ..
            }
        ),
        "{err}"
    );
    opts.min_revision = Some(3);
    assert!(verify(&bytes, &keys.trust, &opts).is_ok());
}

#[test]
fn unsupported_format_is_refused_even_when_signed() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    // A correctly signed manifest of another format (as a future Warden would write).
    let files = unpack(&bytes);
    let manifest = String::from_utf8(files[0].1.clone())
        .unwrap()
        .replace("warden-bundle/1", "warden-bundle/2");
    let resigned = resign(&keys.signing, manifest.as_bytes(), &files);
    let err = verify(&resigned, &keys.trust, &options()).unwrap_err();
    assert!(
        matches!(err, BundleError::UnsupportedFormat { .. }),
        "{err}"
    );
}

#[test]
fn policy_name_must_match_the_manifest() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let files = unpack(&bytes);
    let manifest = String::from_utf8(files[0].1.clone())
        .unwrap()
        .replace("\"name\": \"finance\"", "\"name\": \"other\"");
    let resigned = resign(&keys.signing, manifest.as_bytes(), &files);
    let err = verify(&resigned, &keys.trust, &options()).unwrap_err();
    assert!(matches!(err, BundleError::NameMismatch { .. }), "{err}");
}

/// Replaces the manifest and signs it with the real key, as a publisher of another format would.
fn resign(signing: &SigningKey, manifest: &[u8], files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let signature = test_sign(signing, manifest);
    let mut out: Vec<(String, Vec<u8>)> = files.to_vec();
    out[0].1 = manifest.to_vec();
    let last = out.len() - 1;
    out[last].1 = signature;
    let raw: Vec<Raw<'_>> = out.iter().map(|(n, d)| Raw::File(n, d)).collect();
    pack_raw(&raw)
}

fn test_sign(signing: &SigningKey, manifest: &[u8]) -> Vec<u8> {
    let signature = signing.sign(manifest);
    format!(
        "{{\"algorithm\":\"ed25519\",\"key_id\":\"{}\",\"signature\":\"{}\"}}",
        signing.id(),
        hex::encode(signature)
    )
    .into_bytes()
}

#[test]
fn build_refuses_a_bundle_that_clients_would_refuse_as_too_large() {
    let keys = keys();
    let limit = warden_bundle::Limits::default().max_unpacked_bytes;
    let catalog = "# padding\n".repeat(limit as usize / 10 + 1);
    let err = build(
        POLICY.as_bytes(),
        Some(catalog.as_bytes()),
        1,
        Duration::days(1),
        &keys.signing,
        t0(),
    )
    .unwrap_err();
    assert!(
        matches!(err, BundleError::ArchiveTooLarge { limit: l } if l == limit),
        "{err}"
    );
    assert!(err.to_string().contains("bytes"), "{err}");
}
