// Generated from warden_audit::Kind::ALL by crates/api/src/ts.rs (`make ts`). Do not edit.

export const AUDIT_KINDS = [
  "app_started",
  "bundle_updated",
  "bundle_rejected",
  "query_blocked",
  "query_started",
  "query_finished",
  "query_failed",
  "query_cancelled",
  "elevation_requested",
  "elevation_granted",
  "elevation_denied",
  "elevation_expired",
  "lockout",
  "credentials_wiped",
  "signed_in",
  "signed_out",
  "sign_in_failed",
  "token_refreshed",
  "credentials_issued",
  "store_tampering",
] as const;
