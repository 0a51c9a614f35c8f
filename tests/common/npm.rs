//! npm packages for tests that check vectra-db against the real tools
//! (Knex, TypeScript), installed once into a git-ignored folder under
//! `target/` and reused by later runs. No registry means a failing test,
//! never a skipped one.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<name>` with exactly `packages` installed (`knex@3.3.0`, …).
///
/// Tests run as parallel processes, so two may want the same folder at once:
/// each installs into a folder of its own and renames it into place; the
/// first rename wins and the others use the winner's.
pub fn packages(name: &str, packages: &[&str]) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = target.join(name);
    let want = packages.join(" ");
    if installed(&dir, &want) {
        return dir;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let staging = target.join(format!("{name}.installing-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&staging).expect("create npm folder");
    std::fs::write(staging.join("package.json"), "{\"private\": true}\n").expect("package.json");
    let out = Command::new("npm")
        .current_dir(&staging)
        .args(["install", "--no-audit", "--no-fund", "--silent"])
        .args(packages)
        .output()
        .expect("npm must be installed (and the npm registry reachable) to run this test");
    assert!(
        out.status.success(),
        "npm install {want} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(staging.join(".installed"), &want).expect("stamp");
    if !installed(&dir, &want) {
        // A folder left by an interrupted or older install is replaced.
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::rename(&staging, &dir);
    }
    let _ = std::fs::remove_dir_all(&staging);
    assert!(
        installed(&dir, &want),
        "npm packages missing in {}",
        dir.display()
    );
    dir
}

fn installed(dir: &Path, want: &str) -> bool {
    std::fs::read_to_string(dir.join(".installed")).is_ok_and(|s| s == want)
}
