//! The lock on an output directory: one run at a time may write `--out`.
//!
//! The lock is a file beside the directory (`.NAME.lock`, holding the owner's
//! pid), created exclusively. A lock whose process is gone is stale and is
//! replaced; while we hold it, what a killed run left is put right: its
//! staging directory is removed, and an interrupted publication is restored
//! or cleaned (`publish::recover`). The lock is released when dropped.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::ScamError;
use crate::log::info;

/// A held lock; removed on drop.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
}

/// Parent directory and file name of `--out`.
pub fn parent_and_name(target: &Path) -> (PathBuf, String) {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("out")
        .to_string();
    (parent, name)
}

impl OutputLock {
    /// Take the lock on `target`, replacing a stale one; fail if a live process holds it.
    pub fn acquire(target: &Path) -> Result<OutputLock> {
        let (parent, name) = parent_and_name(target);
        fs::create_dir_all(&parent)
            .with_context(|| format!("--out: creating {}", parent.display()))?;
        let path = parent.join(format!(".{name}.lock"));
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    writeln!(file, "{}", std::process::id())
                        .with_context(|| format!("writing {}", path.display()))?;
                    let lock = OutputLock { path };
                    super::recover(target)?;
                    remove_stale_staging(&parent, &name);
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    if let Some(pid) = holder.filter(|pid| process_alive(*pid)) {
                        return Err(ScamError::Locked(format!(
                            "{} is being written by another run (pid {pid}, lock {}); try again when it ends",
                            target.display(),
                            path.display()
                        ))
                        .into());
                    }
                    info(format!(
                        "replacing the stale lock {} (its process is gone)",
                        path.display()
                    ));
                    let _ = fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("creating the lock {}", path.display()));
                }
            }
        }
        Err(ScamError::Locked(format!("could not take the lock {}", path.display())).into())
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Remove `.NAME.tmp-*` staging directories of killed runs.
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_lock_refuses_and_a_stale_one_is_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let held = OutputLock::acquire(&out).unwrap();
        let err = OutputLock::acquire(&out).unwrap_err();
        assert_eq!(crate::error::exit_code_of(&err), crate::error::EXIT_LOCKED);
        drop(held);
        // a pid that cannot be alive
        fs::write(root.path().join(".out.lock"), "4000000000\n").unwrap();
        fs::create_dir_all(root.path().join(".out.tmp-dead")).unwrap();
        let _lock = OutputLock::acquire(&out).unwrap();
        assert!(!root.path().join(".out.tmp-dead").exists());
    }
}
