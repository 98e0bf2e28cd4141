//! Records the git commit the binary is built from, for `gatehouse --version`. A build outside
//! a git checkout (a source tarball) may pass it as `GATEHOUSE_GIT_COMMIT`; otherwise it says
//! `unknown`. With the feature `embed-site`, also embeds the compiled site (memory-serve
//! compresses it with brotli here, at build time) and names the build by a hash of it.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=GATEHOUSE_GIT_COMMIT");
    for watched in ["../.git/HEAD", "../.git/refs/heads", "../.git/packed-refs"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let commit = std::env::var("GATEHOUSE_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| {
            let output = Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
                .filter(|commit| !commit.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=GATEHOUSE_GIT_COMMIT={commit}");
    #[cfg(feature = "embed-site")]
    embed_site();
}

/// Embeds `GATEHOUSE_SITE_DIR` (default: the workspace's `target/site`, where cargo-leptos
/// writes it) and sets `GATEHOUSE_SITE_ID`, the first 16 hex digits of a SHA-256 over every
/// file's path and contents: the site is served under `/v-<id>/`, so a browser never mixes
/// the files of two releases.
#[cfg(feature = "embed-site")]
fn embed_site() {
    use sha2::{Digest, Sha256};
    use std::path::{Path, PathBuf};

    fn files(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, found);
            } else {
                found.push(path);
            }
        }
    }

    println!("cargo:rerun-if-env-changed=GATEHOUSE_SITE_DIR");
    let site = std::env::var("GATEHOUSE_SITE_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site"),
        PathBuf::from,
    );
    let mut found = Vec::new();
    files(&site, &mut found);
    found.sort();
    assert!(
        found
            .iter()
            .any(|file| file.extension().is_some_and(|e| e == "wasm")),
        "embed-site: no compiled site in {}; build it first with \
         `cargo leptos build --release --frontend-only`",
        site.display()
    );
    let mut hash = Sha256::new();
    for file in &found {
        let relative = file.strip_prefix(&site).unwrap_or(file);
        hash.update(relative.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(file).unwrap_or_default());
    }
    let id: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    println!("cargo:rustc-env=GATEHOUSE_SITE_ID={id}");
    memory_serve::load_directory_with_embed(&site, true);
}
