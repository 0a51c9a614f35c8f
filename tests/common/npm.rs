//! npm packages for tests that check vectra-db against the real tools
//! (Knex, TypeScript), installed once into a git-ignored folder under
//! `target/` and reused by later runs. No registry means a failing test,
//! never a skipped one.

use std::path::PathBuf;
use std::process::Command;

/// `target/<name>` with exactly `packages` installed (`knex@3.3.0`, …).
pub fn packages(name: &str, packages: &[&str]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(name);
    let stamp = dir.join(".installed");
    let want = packages.join(" ");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("create npm folder");
    std::fs::write(dir.join("package.json"), "{\"private\": true}\n").expect("package.json");
    let out = Command::new("npm")
        .current_dir(&dir)
        .args(["install", "--no-audit", "--no-fund", "--silent"])
        .args(packages)
        .output()
        .expect("npm must be installed (and the npm registry reachable) to run this test");
    assert!(
        out.status.success(),
        "npm install {want} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&stamp, &want).expect("stamp");
    dir
}
