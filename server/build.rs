//! Records the git commit the binary is built from, for `gatehouse --version`. A build outside
//! a git checkout (a source tarball) may pass it as `GATEHOUSE_GIT_COMMIT`; otherwise it says
//! `unknown`.

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
}
