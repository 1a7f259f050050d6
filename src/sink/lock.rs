//! One writer per output folder: the lock file `.customer-events.lock`.
//!
//! A run creates the lock (create-new, so exactly one of two racing runs
//! gets it) before it writes anything, and removes it when the run ends:
//! complete, failed or cancelled ([`FolderLock`] removes it on drop). The
//! lock holds the run's id, host name, pid and start time; the run's staged
//! files carry the id (`.part-00000.parquet.<id>.tmp`), so two runs never
//! share a temporary file. The lock is hidden, so readers' globs skip it,
//! and it is never part of the data or the manifest.
//!
//! A lock left by a run that died (`kill -9`, a power cut) is never taken
//! over silently: a second run is refused and told whether the holder is
//! still alive and, if not, how to clear the lock.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The lock's file name inside the output folder.
pub const LOCK_FILE: &str = ".customer-events.lock";

/// Who holds a lock: what the lock file says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The run's id; its staged files carry it.
    pub run_id: String,
    /// The host the run was started on.
    pub host: String,
    /// The run's process id on that host.
    pub pid: u32,
    /// When the run took the lock (UTC, RFC 3339).
    pub since: String,
}

impl LockHolder {
    /// This process, now, with a new run id.
    pub fn new() -> Self {
        Self {
            run_id: new_run_id(),
            host: host_name(),
            pid: std::process::id(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

impl Default for LockHolder {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `name` (a file at the top of an output folder) is a lock of this tool.
pub fn is_lock_name(name: &str) -> bool {
    name == LOCK_FILE || (name.starts_with(".customer-events.part-") && name.ends_with(".lock"))
}

/// The lock of an output folder, held until dropped.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
    holder: LockHolder,
}

impl FolderLock {
    /// Takes the lock of `out` (which must exist). With `take_stale` (a
    /// `--resume`, which exists to continue a killed run), a lock left by a
    /// run of this host that is no longer alive is taken over; otherwise it
    /// is reported, never taken.
    ///
    /// # Errors
    /// [`Error::Output`] naming the holder when another run holds it, with
    /// the command that clears it when that run is dead; [`Error::Output`]
    /// when the folder is not writable.
    pub fn acquire(out: &Path, take_stale: bool) -> Result<Self, Error> {
        Self::acquire_named(out, LOCK_FILE, take_stale)
    }

    /// Takes the lock `name` of `out` ([`LOCK_FILE`], or a part's own lock), as [`FolderLock::acquire`].
    ///
    /// # Errors
    /// As [`FolderLock::acquire`].
    pub fn acquire_named(out: &Path, name: &str, take_stale: bool) -> Result<Self, Error> {
        let path = out.join(name);
        let holder = LockHolder::new();
        let output_error = |message: String| Error::Output {
            path: out.to_path_buf(),
            message,
        };
        if take_stale && is_stale(&path) {
            // Renaming is atomic: of two runs taking over the same stale
            // lock, one renames it and the other then meets the winner's.
            let set_aside = out.join(format!("{name}.stale-{}", holder.run_id));
            if fs::rename(&path, &set_aside).is_ok() {
                let _ = fs::remove_file(&set_aside);
            }
        }
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                let text = serde_json::to_string(&holder).expect("lock holder serializes");
                // The lock is ours from here: on failure, `FolderLock`'s drop removes it.
                let lock = Self { path, holder };
                file.write_all(text.as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .map_err(|e| output_error(format!("is not writable ({e}); choose another --out")))?;
                Ok(lock)
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(output_error(held_message(&path))),
            Err(e) => Err(output_error(format!("is not writable ({e}); choose another --out"))),
        }
    }

    /// The run's id, carried by its staged file names.
    pub fn run_id(&self) -> &str {
        &self.holder.run_id
    }

    /// What the lock file says.
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Reads the holder of the lock at `path`. The holder writes its line right
/// after creating the file, so an empty file is retried for a moment.
pub fn read_holder(path: &Path) -> Option<LockHolder> {
    for _ in 0..20 {
        if let Ok(text) = fs::read_to_string(path)
            && let Ok(holder) = serde_json::from_str(text.trim())
        {
            return Some(holder);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Whether the lock at `path` was left by a run of this host that is no
/// longer alive.
fn is_stale(path: &Path) -> bool {
    read_holder(path).is_some_and(|holder| holder.host == host_name() && !is_alive(holder.pid))
}

/// Why the lock at `path` cannot be taken, in one line.
fn held_message(path: &Path) -> String {
    let clear = format!("`rm {}`", path.display());
    let Some(holder) = read_holder(path) else {
        return format!(
            "is locked by another run ({} exists but does not say which); if no run is writing here, clear it with {clear}",
            LOCK_FILE
        );
    };
    let who = format!("host {}, pid {}, since {}", holder.host, holder.pid, holder.since);
    if holder.host == host_name() && !is_alive(holder.pid) {
        format!(
            "holds a stale lock of a run that is no longer running ({who}); its files may be incomplete. \
             Continue that run with --resume, or clear it with {clear} and run again with --overwrite"
        )
    } else {
        format!(
            "is being written by another run ({who}); wait for it to finish or choose another --out \
             (if that run is gone, clear the lock with {clear})"
        )
    }
}

/// A run id unique across hosts' runs in practice: the time in
/// nanoseconds and the pid, in hex.
pub fn new_run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// This machine's host name.
pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buffer = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that.
        let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
        if status == 0 {
            let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
            return String::from_utf8_lossy(&buffer[..end]).into_owned();
        }
    }
    "unknown".into()
}

/// Whether a process `pid` runs on this host.
fn is_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists.
        if unsafe { libc::kill(pid, 0) } == 0 {
            return true;
        }
        // EPERM: it exists but belongs to another user.
        std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::acquire(dir.path(), false).unwrap();
        let written = read_holder(&dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(&written, lock.holder());
        assert_eq!(written.pid, std::process::id());
        let refused = FolderLock::acquire(dir.path(), false).unwrap_err().to_string();
        assert!(refused.contains("being written by another run"), "{refused}");
        assert!(refused.contains(&format!("pid {}", std::process::id())), "{refused}");
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        let again = FolderLock::acquire(dir.path(), false).unwrap();
        assert_ne!(again.run_id(), written.run_id);
    }

    #[test]
    fn a_dead_holder_is_reported_not_stolen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let dead = LockHolder {
            run_id: "1".into(),
            host: host_name(),
            pid: i32::MAX as u32,
            since: "2026-01-01T00:00:00Z".into(),
        };
        fs::write(&path, serde_json::to_string(&dead).unwrap()).unwrap();
        let refused = FolderLock::acquire(dir.path(), false).unwrap_err().to_string();
        assert!(refused.contains("stale lock"), "{refused}");
        assert!(refused.contains(&format!("rm {}", path.display())), "{refused}");
        assert!(refused.contains("--resume"), "{refused}");
        assert!(path.exists());
        // A resume takes it over; a live holder's lock it never takes.
        let resumed = FolderLock::acquire(dir.path(), true).unwrap();
        assert_eq!(read_holder(&path).unwrap().run_id, resumed.run_id());
        let refused = FolderLock::acquire(dir.path(), true).unwrap_err().to_string();
        assert!(refused.contains("is being written by another run"), "{refused}");
        drop(resumed);
        assert!(!path.exists());
    }
}
