fn main() {
    // The app's relative relocations packed (DT_RELR, glibc 2.36 and binutils 2.38 or newer, as
    // on Debian 12) instead of one 24-byte entry each: the loader reads the table at every start
    // and its pages stay mapped, about 19 MiB of the debug build's idle memory
    // (docs/performance.md, "Idle memory: where it goes, and what was cut").
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    tauri_build::build()
}
