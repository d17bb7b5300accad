//! Files a command writes: checked against the files it reads before anything is written, and
//! written through a temporary file renamed into place, so that no command can overwrite its
//! own input (`sweep prog.chain --csv prog.chain`), write one path twice, or leave a half-written
//! file behind when a write fails.

use crate::error::{Error, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The identity of a path as the file system sees it: the canonical path of the file (through
/// symbolic links, `./` and `..`), or of its folder joined with its name when it does not exist
/// yet; and, on Unix, its device and inode, so hard links to one file are one file too.
#[derive(Debug, Clone)]
struct Identity {
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn of(path: &str) -> Identity {
        let resolved = resolve(Path::new(path));
        let p = resolved.as_path();
        let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| {
            let name = p.file_name().map(PathBuf::from).unwrap_or_default();
            let parent = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            std::fs::canonicalize(parent)
                .unwrap_or_else(|_| parent.to_path_buf())
                .join(name)
        });
        Identity {
            inode: inode(&canonical),
            path: canonical,
        }
    }

    fn same(&self, other: &Identity) -> bool {
        self.path == other.path || (self.inode.is_some() && self.inode == other.inode)
    }
}

/// `path` through its symbolic links, dangling ones included: the path a write to `path`
/// reaches (a link's target is taken relative to the link's folder).
fn resolve(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    // As the system does, give up after 40 links (a loop): the write then fails on its own.
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = match p.parent() {
                    Some(d) if target.is_relative() => d.join(target),
                    _ => target,
                }
            }
            Err(_) => break,
        }
    }
    p
}

#[cfg(unix)]
fn inode(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<(u64, u64)> {
    None
}

/// The files one command will write, checked up front: none is one of the command's inputs
/// (standard input, `-`, is not a file), and no two are the same file.
#[derive(Debug)]
pub struct Outputs {
    planned: Vec<(String, Identity)>,
}

impl Outputs {
    /// Checks `outputs` (each with the option that names it, e.g. `("--csv", "errors.csv")`)
    /// against the command's `inputs` and against each other.
    pub fn plan(inputs: &[&str], outputs: &[(&str, &str)]) -> Result<Outputs> {
        let inputs: Vec<(&str, Identity)> = inputs
            .iter()
            .filter(|p| **p != "-")
            .map(|p| (*p, Identity::of(p)))
            .collect();
        let mut planned: Vec<(String, Identity)> = Vec::new();
        for (flag, path) in outputs {
            let id = Identity::of(path);
            if id.path.is_dir() {
                return Err(Error::Usage(format!(
                    "{flag} {path}: it is a directory; name a file in it"
                )));
            }
            if !id.path.parent().is_some_and(Path::is_dir) {
                return Err(Error::Usage(format!(
                    "{flag} {path}: its folder does not exist"
                )));
            }
            if std::fs::metadata(&id.path).is_ok_and(|m| m.is_file() && m.permissions().readonly())
            {
                return Err(Error::Usage(format!(
                    "{flag} {path}: the file is write-protected; make it writable or write to another file"
                )));
            }
            if let Some((input, _)) = inputs.iter().find(|(_, i)| i.same(&id)) {
                return Err(Error::Usage(format!(
                    "{flag} {path}: that is the input file {input}; it would be overwritten. Write to another file"
                )));
            }
            if let Some((other, _)) = planned.iter().find(|(_, i)| i.same(&id)) {
                return Err(Error::Usage(format!(
                    "{flag} {path}: {other} writes the same file; give each output its own file"
                )));
            }
            planned.push((format!("{flag} {path}"), id));
        }
        Ok(Outputs { planned })
    }

    /// Writes `contents` to `path`, which must be one of the planned outputs.
    pub fn write(&self, path: &str, contents: &[u8]) -> Result<()> {
        debug_assert!(
            self.planned
                .iter()
                .any(|(_, i)| i.same(&Identity::of(path))),
            "{path} was not planned"
        );
        write_replacing(path, contents)
    }
}

/// Writes `contents` to `path` (through its symbolic links, dangling ones included): a
/// regular file, new or old, through a new temporary file in its folder renamed over it, so
/// the old file stays as it was unless the whole new one was written; anything else that
/// exists (a device, a FIFO, a socket) in place, as a shell's `>` would.
fn write_replacing(path: &str, contents: &[u8]) -> Result<()> {
    let fail = |why: String| Error::Usage(format!("cannot write {path}: {why}"));
    let target = resolve(Path::new(path));
    if target.is_dir() {
        return Err(fail("it is a directory".into()));
    }
    if std::fs::metadata(&target).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&target)
            .and_then(|mut f| f.write_all(contents))
            .map_err(|e| fail(io_reason(&e)));
    }
    let name = target
        .file_name()
        .ok_or_else(|| fail("it names no file".into()))?;
    let folder = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (tmp, mut file) = (0..100)
        .find_map(|n| {
            let tmp = folder.join(format!(
                ".{}.{}.{n}.tmp",
                name.to_string_lossy(),
                std::process::id()
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => Some(Ok((tmp, f))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
                Err(e) => Some(Err(e)),
            }
        })
        .unwrap_or_else(|| Err(std::io::Error::other("no free temporary name")))
        .map_err(|e| fail(io_reason(&e)))?;
    let written = (|| {
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        // Keep the permissions of the file being replaced.
        if let Ok(m) = std::fs::metadata(&target) {
            std::fs::set_permissions(&tmp, m.permissions())?;
        }
        std::fs::rename(&tmp, &target)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(io_reason(&e))
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "its folder does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}
