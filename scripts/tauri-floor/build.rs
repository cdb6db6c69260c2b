fn main() {
    // As Warden's app (src-tauri/build.rs): relative relocations packed.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    tauri_build::build()
}
