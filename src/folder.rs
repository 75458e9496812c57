//! Result folders on disk: where a run may write, what `--force` may
//! replace, and the atomic write that never leaves a folder looking complete.
//!
//! Every folder this program writes (a results folder, a shard folder) is
//! filled under a hidden temporary name beside its destination,
//! `.NAME.tmp-PID`, and renamed into place only when every file is written.
//! The temporary folder's first file is `.mortgage-sim-partial`, so a folder left
//! behind by a killed process is recognisably ours: the next write into the
//! same destination removes it.
//!
//! `--force` replaces only a folder this program wrote (its `manifest.json`
//! or `shard.json` says so) and never `.`, `..`, `/`, a symbolic link, the
//! working directory or one of its ancestors: a wrong `--out` must not be
//! able to delete someone's files.

use std::fs;
use std::path::{Path, PathBuf};

/// The first file of every temporary folder this program creates; its
/// presence marks a leftover temporary folder as ours.
pub(crate) const PARTIAL_MARKER: &str = ".mortgage-sim-partial";

/// Why a destination cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The destination exists and `--force` was not given; nothing was
    /// touched. Bad input (exit code 2).
    #[error("{0}: results folder already exists (use --force to replace it, or --out to choose another)")]
    Exists(PathBuf),
    /// `--force` was given but the destination is not a folder this program
    /// may replace. Bad input (exit code 2).
    #[error("{path}: {reason}")]
    Refused {
        /// The destination.
        path: PathBuf,
        /// Why it is refused and what to do instead.
        reason: String,
    },
    /// A file or folder could not be written, renamed or removed (exit code 1).
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl FolderError {
    /// The process exit code: 2 for a destination the user must change,
    /// 1 for a failure of the filesystem.
    pub fn exit_code(&self) -> u8 {
        match self {
            FolderError::Exists(_) | FolderError::Refused { .. } => 2,
            FolderError::Io { .. } => 1,
        }
    }
}

/// Maps an I/O error on `path` to a [`FolderError::Io`].
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Fails, before any simulation, if `dir` cannot be written: it exists and
/// `force` is off, or `force` is on and `dir` is not a folder this program
/// may replace (see the module doc).
pub fn check_destination(dir: &Path, force: bool) -> Result<(), FolderError> {
    let refuse = |reason: &str| FolderError::Refused {
        path: dir.to_path_buf(),
        reason: reason.to_string(),
    };
    if dir.file_name().is_none() {
        // `.`, `..`, `/` and paths ending in them name no folder of ours.
        return Err(refuse(
            "cannot write results here: it names no folder of its own (`.`, `..` or `/`); \
             give a folder name, e.g. --out results/mine",
        ));
    }
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if !force {
        return Err(FolderError::Exists(dir.to_path_buf()));
    }
    if meta.file_type().is_symlink() {
        return Err(refuse(
            "--force will not replace it: it is a symbolic link; remove it yourself or choose another --out",
        ));
    }
    if !meta.is_dir() {
        return Err(refuse(
            "--force will not replace it: it is a file, not a results folder; choose another --out",
        ));
    }
    let canonical = fs::canonicalize(dir).map_err(io_error(dir))?;
    if canonical.parent().is_none() {
        return Err(refuse("--force will not replace it: it is the root folder"));
    }
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
        && cwd.starts_with(&canonical)
    {
        return Err(refuse(
            "--force will not replace it: it is the working directory or one of its ancestors; \
             choose a folder inside it",
        ));
    }
    if !written_by_us(dir) {
        return Err(refuse(
            "--force will not replace it: it holds no manifest.json or shard.json written by mortgage-sim, \
             so it is not a results folder; remove it yourself or choose another --out",
        ));
    }
    Ok(())
}

/// Whether `dir` holds a `manifest.json` or `shard.json` that this program
/// wrote (a manifest names the tool; a shard description has its plan's
/// hash, or in formats before 4 its experiment's), rather than any file of
/// that name.
fn written_by_us(dir: &Path) -> bool {
    let json = |file: &str| {
        fs::read_to_string(dir.join(file))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    };
    let manifest = json("manifest.json").is_some_and(|m| m["tool"] == "mortgage-sim");
    let shard = json("shard.json").is_some_and(|s| s["plan_hash"].is_string() || s["experiment_hash"].is_string());
    manifest || shard
}

/// Writes the folder `dir` atomically: checks the destination, fills a
/// temporary folder beside it with `fill`, then renames it into place
/// (replacing an existing folder only when `force` allows it). On any
/// failure the temporary folder is removed and `dir` is left as it was.
pub(crate) fn write_atomically<E: From<FolderError>>(
    dir: &Path,
    force: bool,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    check_destination(dir, force)?;
    let name = dir
        .file_name()
        .expect("check_destination refuses paths without a folder name")
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // A parent that cannot be made is this destination's failure.
    fs::create_dir_all(parent).map_err(io_error(dir))?;
    clean_stale(parent, &name);
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    if fs::symlink_metadata(&tmp).is_ok() {
        // A leftover of an earlier process with this PID: ours only if it
        // carries the marker; anything else is not ours to delete.
        if !tmp.join(PARTIAL_MARKER).is_file() {
            return Err(FolderError::Refused {
                path: tmp,
                reason: "is in the way of the temporary results folder and was not written by mortgage-sim; \
                         remove it or choose another --out"
                    .into(),
            }
            .into());
        }
        fs::remove_dir_all(&tmp).map_err(io_error(&tmp))?;
    }
    fs::create_dir(&tmp).map_err(io_error(&tmp))?;
    let marker = tmp.join(PARTIAL_MARKER);
    let filled = fs::write(&marker, b"")
        .map_err(|e| E::from(io_error(&marker)(e)))
        .and_then(|()| fill(&tmp))
        .and_then(|()| fs::remove_file(&marker).map_err(|e| E::from(io_error(&marker)(e))))
        .and_then(|()| replace(dir, &tmp, parent, &name, pid).map_err(E::from));
    if filled.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    filled
}

/// Writes one file into an existing folder (a report beside the results, a
/// study's tables): to `.NAME.tmp-PID` beside it, then renamed over `path`,
/// so a reader never sees half a file.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Renames `tmp` to `dir`. An existing `dir` (already checked) is first
/// moved aside to `.NAME.old-PID` and removed once the new folder is in
/// place, so a failed rename can put it back.
fn replace(dir: &Path, tmp: &Path, parent: &Path, name: &str, pid: u32) -> Result<(), FolderError> {
    if fs::symlink_metadata(dir).is_err() {
        return fs::rename(tmp, dir).map_err(io_error(dir));
    }
    let old = parent.join(format!(".{name}.old-{pid}"));
    fs::rename(dir, &old).map_err(io_error(dir))?;
    if let Err(e) = fs::rename(tmp, dir) {
        let _ = fs::rename(&old, dir);
        return Err(io_error(dir)(e));
    }
    fs::remove_dir_all(&old).map_err(io_error(&old))
}

/// Removes temporary folders of earlier writes into `parent/name` that were
/// interrupted (`kill -9`, a failed rename): `.NAME.tmp-PID` holding
/// [`PARTIAL_MARKER`], or `.NAME.old-PID` holding a folder of ours, for a PID
/// that is not this process and (where the system tells) not running.
/// Anything else — other names, other files — is left alone.
pub(crate) fn clean_stale(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(rest) = file_name.strip_prefix('.').and_then(|r| r.strip_prefix(name)) else {
            continue;
        };
        let (kind, pid) = match rest.strip_prefix(".tmp-") {
            Some(pid) => ("tmp", pid),
            None => match rest.strip_prefix(".old-") {
                Some(pid) => ("old", pid),
                None => continue,
            },
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        let path = entry.path();
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if pid == own || !is_dir || process_alive(pid) {
            continue;
        }
        let ours = match kind {
            "tmp" => path.join(PARTIAL_MARKER).is_file(),
            _ => written_by_us(&path),
        };
        if ours {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Whether process `pid` runs on this machine, where the system can tell
/// (Linux's /proc); elsewhere assumed not.
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(dir: &Path) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("manifest.json"), r#"{"tool": "mortgage-sim"}"#).unwrap();
    }

    #[test]
    fn force_replaces_only_folders_of_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join("mine");
        ours(&mine);
        assert!(matches!(check_destination(&mine, false), Err(FolderError::Exists(_))));
        check_destination(&mine, true).unwrap();
        let theirs = tmp.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        fs::write(theirs.join("manifest.json"), r#"{"name": "a web app"}"#).unwrap();
        let e = check_destination(&theirs, true).unwrap_err();
        assert!(
            e.to_string()
                .contains("no manifest.json or shard.json written by mortgage-sim"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 2);
        for path in [
            Path::new("."),
            Path::new(".."),
            Path::new("/"),
            &tmp.path().join("x/.."),
        ] {
            let e = check_destination(path, true).unwrap_err();
            assert!(matches!(e, FolderError::Refused { .. }), "{path:?}: {e}");
        }
    }

    #[test]
    fn an_interrupted_write_is_cleaned_by_the_next_one_and_only_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("res");
        // A leftover of a killed run (PID that cannot be running), one
        // without our marker, and one of another destination.
        let stale = tmp.path().join(".res.tmp-4294967294");
        fs::create_dir(&stale).unwrap();
        fs::write(stale.join(PARTIAL_MARKER), "").unwrap();
        let foreign = tmp.path().join(".res.tmp-4294967293");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let other = tmp.path().join(".other.tmp-4294967294");
        fs::create_dir(&other).unwrap();
        fs::write(other.join(PARTIAL_MARKER), "").unwrap();
        write_atomically::<FolderError>(&dest, false, |d| {
            fs::write(d.join("manifest.json"), "{}").map_err(io_error(d))
        })
        .unwrap();
        assert!(!stale.exists() && foreign.exists() && other.exists());
        assert!(dest.join("manifest.json").exists() && !dest.join(PARTIAL_MARKER).exists());
    }

    #[test]
    fn a_failed_fill_leaves_no_folder_and_the_old_one_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("res");
        ours(&dest);
        let failed = write_atomically(&dest, true, |_| {
            Err(io_error(Path::new("x"))(std::io::ErrorKind::Other.into()))
        });
        assert!(failed.is_err());
        let left: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["res"]);
        assert!(written_by_us(&dest));
    }
}
