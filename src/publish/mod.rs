//! Publish stage: the files of a run and their atomic appearance.
//!
//! Everything is written into a temporary directory beside `--out`, then the
//! directory is renamed into place: a failed or killed run leaves the previous
//! complete output untouched and never a half-written one. Also the lock on
//! `--out`, the manifest, Parquet encoding, and reading published tables back
//! (`readback`, for `report --run`, `query` and `verify`).

pub mod lock;
pub mod manifest;
pub mod parquet;
pub mod readback;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::readers::sources::hex;

/// One written output file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl OutputFile {
    /// The record of `bytes` written at `path` (relative to the run directory).
    pub fn of(path: &str, bytes: &[u8]) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            bytes: bytes.len() as u64,
            sha256: hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes)),
        }
    }
}

/// A directory being filled, to be renamed over `--out` on success.
pub struct StagedDir {
    staging: tempfile::TempDir,
    target: PathBuf,
    pub written: Vec<OutputFile>,
}

impl StagedDir {
    /// A fresh staging directory next to `target` (same filesystem → atomic rename).
    pub fn new(target: &Path) -> Result<StagedDir> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("--out: creating {}", parent.display()))?;
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp-"))
            .tempdir_in(&parent)
            .with_context(|| {
                format!(
                    "--out: creating a staging directory in {}",
                    parent.display()
                )
            })?;
        Ok(StagedDir {
            staging,
            target: target.to_path_buf(),
            written: Vec::new(),
        })
    }

    /// A staging directory holding the files of the published `target`
    /// (hard links where the filesystem allows, else copies), for changing
    /// some of them and swapping the whole in (`report --run`).
    pub fn copy_of(target: &Path) -> Result<StagedDir> {
        let staged = StagedDir::new(target)?;
        link_tree(target, staged.path())?;
        Ok(staged)
    }

    /// Remove a file of the staged run (relative name), if it is there.
    pub fn remove(&mut self, name: &str) -> Result<()> {
        let path = self.staging.path().join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// The staging directory (the run's tables are readable here before commit).
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Write one file (relative name, may contain a subdirectory) and record its hash.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.path().join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        // a staged copy's file may be a hard link to the published one:
        // unlink it first so the published run is never written through
        self.remove(name)?;
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        self.written.push(OutputFile::of(name, bytes));
        Ok(())
    }

    /// Swap the staging directory into place. Where the filesystem can
    /// exchange two directories in one step (Linux `renameat2`
    /// `RENAME_EXCHANGE`), `--out` is at every instant the complete old or
    /// the complete new run; the old run then sits at the staging path,
    /// whose removal a kill may interrupt (the next run's lock removes it).
    /// Elsewhere the old run is moved to `.NAME.old` first, and a run killed
    /// between the two renames is restored by the next one (`recover`).
    pub fn commit(self) -> Result<PathBuf> {
        let staged = self.staging.keep();
        let target = self.target;
        failpoint("publish:before-rename");
        if !target.exists() {
            fs::rename(&staged, &target)
                .with_context(|| format!("publishing {}", target.display()))?;
            return Ok(target);
        }
        let exchanged = match failpoint_set("publish:two-renames") {
            true => Err(std::io::Error::from(std::io::ErrorKind::Unsupported)),
            false => exchange(&staged, &target),
        };
        match exchanged {
            Ok(()) => {
                failpoint("publish:after-exchange");
                remove_old_run(&staged)?;
            }
            Err(e) if exchange_unsupported(&e) => publish_by_two_renames(&staged, &target)?,
            Err(e) => {
                return Err(e).with_context(|| format!("publishing {}", target.display()));
            }
        }
        Ok(target)
    }
}

/// Hard-link (or copy) every file under `from` into `to`.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            fs::create_dir_all(&dst).with_context(|| format!("creating {}", dst.display()))?;
            link_tree(&src, &dst)?;
        } else if fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// `.NAME.old` beside `--out`: where the two-rename publication keeps the
/// previous run until the new one is in place.
fn old_aside(target: &Path) -> PathBuf {
    let (parent, name) = lock::parent_and_name(target);
    parent.join(format!(".{name}.old"))
}

fn publish_by_two_renames(staged: &Path, target: &Path) -> Result<()> {
    let old = old_aside(target);
    fs::rename(target, &old)
        .with_context(|| format!("moving the previous {} aside", target.display()))?;
    failpoint("publish:between-renames");
    if let Err(e) = fs::rename(staged, target) {
        let _ = fs::rename(&old, target);
        return Err(e).with_context(|| format!("publishing {}", target.display()));
    }
    remove_old_run(&old)
}

/// Remove a replaced run, file by file (a kill may stop this part way).
fn remove_old_run(dir: &Path) -> Result<()> {
    let mut first = true;
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        }
        .with_context(|| format!("removing the previous output {}", path.display()))?;
        if std::mem::take(&mut first) {
            failpoint("publish:during-cleanup");
        }
    }
    fs::remove_dir(dir).with_context(|| format!("removing the previous output {}", dir.display()))
}

/// After a killed publication (called under the lock): a `.NAME.old` with
/// no `--out` is the complete previous run, moved aside before the new one
/// arrived: put it back; with `--out` present it is a leftover: remove it.
pub fn recover(target: &Path) -> Result<()> {
    let old = old_aside(target);
    if !old.exists() {
        return Ok(());
    }
    if target.exists() {
        return remove_old_run(&old);
    }
    crate::log::info(format!(
        "restoring {} from {} (a publication was interrupted)",
        target.display(),
        old.display()
    ));
    fs::rename(&old, target).with_context(|| format!("restoring {}", target.display()))
}

/// Exchange two paths in one step.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes());
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

fn exchange_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported
        || matches!(e.raw_os_error(), Some(code) if code == libc::EINVAL || code == libc::ENOSYS || code == libc::ENOTSUP)
}

/// Whether `SCAMTRENDS_FAILPOINT` (a comma-separated list, for crash
/// tests) names `name`.
fn failpoint_set(name: &str) -> bool {
    std::env::var("SCAMTRENDS_FAILPOINT").is_ok_and(|v| v.split(',').any(|p| p == name))
}

/// Crash testing: with `SCAMTRENDS_FAILPOINT=NAME` the process kills itself
/// (SIGKILL: no clean-up runs) when it reaches `NAME`. docs/reliability.md
/// lists the points.
pub fn failpoint(name: &str) {
    if failpoint_set(name) {
        #[cfg(unix)]
        // SAFETY: sending a signal to our own process.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_two_rename_publication_is_restored_or_cleaned() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let old = root.path().join(".out.old");
        // killed between the renames: only the old run, aside
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("manifest.json"), b"old").unwrap();
        recover(&out).unwrap();
        assert_eq!(fs::read(out.join("manifest.json")).unwrap(), b"old");
        assert!(!old.exists());
        // killed during clean-up: the new run is in place, the old one half gone
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("x"), b"left").unwrap();
        recover(&out).unwrap();
        assert!(!old.exists() && out.join("manifest.json").exists());
        // and the two-rename path itself replaces the run whole
        let staged = root.path().join(".out.tmp-x");
        fs::create_dir_all(&staged).unwrap();
        fs::write(staged.join("manifest.json"), b"new").unwrap();
        publish_by_two_renames(&staged, &out).unwrap();
        assert_eq!(fs::read(out.join("manifest.json")).unwrap(), b"new");
        assert!(!old.exists() && !staged.exists());
    }

    #[test]
    fn commit_replaces_the_previous_output_whole() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("stale.parquet"), b"old").unwrap();
        let mut staged = StagedDir::new(&out).unwrap();
        staged.write("a.txt", b"new").unwrap();
        assert!(
            out.join("stale.parquet").exists(),
            "old output stays until commit"
        );
        staged.commit().unwrap();
        assert!(!out.join("stale.parquet").exists());
        assert_eq!(fs::read(out.join("a.txt")).unwrap(), b"new");
        let leftovers = fs::read_dir(root.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no staging directories left behind");
    }
}
