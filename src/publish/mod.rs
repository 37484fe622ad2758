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
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        self.written.push(OutputFile::of(name, bytes));
        Ok(())
    }

    /// Swap the staging directory into place; the old output is removed only
    /// after the new one is there.
    pub fn commit(self) -> Result<PathBuf> {
        let staged = self.staging.keep();
        let target = self.target;
        let old = staged.with_extension("old");
        let had_old = target.exists();
        if had_old {
            fs::rename(&target, &old)
                .with_context(|| format!("moving the previous {} aside", target.display()))?;
        }
        if let Err(e) = fs::rename(&staged, &target) {
            if had_old {
                let _ = fs::rename(&old, &target);
            }
            return Err(e).with_context(|| format!("publishing {}", target.display()));
        }
        if had_old {
            fs::remove_dir_all(&old)
                .with_context(|| format!("removing the previous output {}", old.display()))?;
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
