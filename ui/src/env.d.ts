/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** "1" only in `--mode mock` builds (see .env.mock). */
  readonly VITE_WARDEN_MOCK?: string;
}
