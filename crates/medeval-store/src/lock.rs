//! One worker per run: who holds a run, and when a holder counts as gone.
//!
//! Two `medeval run` commands with the same settings continue the same run. Without a lock both
//! would request every pending sample, paying for each request twice and keeping only one
//! answer. So [`RunStore::begin_run`](crate::RunStore::begin_run) takes an advisory lock on the
//! run, recording who holds it ([`LockHolder`]: process id, host, since when) and a heartbeat the
//! holder refreshes every [`HEARTBEAT_EVERY`]. A second process is refused while the holder is
//! alive; a lock whose holder is gone (see [`LockHolder::staleness`]) is taken over, and the take
//! over is reported ([`TakenOver`]).
//!
//! The rules here are the same for every backend: a backend stores the fields and refreshes the
//! heartbeat, and decides with [`LockHolder::staleness`] whether a lock it finds may be broken.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::timestamp;

/// How often the process holding a run refreshes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// How long a heartbeat may be silent before its lock counts as abandoned: six missed beats, so a
/// busy machine or a slow disk does not lose a live run its lock.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// Who holds a run: a process on a machine, since when, and when it last said it was alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The process id.
    pub pid: u32,
    /// The host name, for people: where to look for the process.
    pub host: String,
    /// Which process table the pid belongs to (host name, boot and, on Linux, pid namespace):
    /// a pid is only looked up when the holder's process table is this process's, so a process
    /// in another container or after a reboot is never taken for dead by its pid.
    pub machine: String,
    /// When it took the lock (RFC 3339, UTC).
    pub since: String,
    /// When it last refreshed the lock, in milliseconds since the Unix epoch.
    pub heartbeat_unix_ms: u64,
}

/// Why a lock may be broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// The holder refreshed the lock this long ago, longer than [`STALE_AFTER`].
    Silent(Duration),
    /// The holder ran on this machine and its process no longer exists.
    ProcessGone,
}

/// A lock that was broken to continue a run: whose it was and why it could be broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOver {
    /// The process that held the run.
    pub holder: LockHolder,
    /// Why it counted as gone.
    pub staleness: Staleness,
}

impl LockHolder {
    /// This process, now: the holder a backend records when it takes a lock.
    pub fn this_process() -> Self {
        Self {
            pid: std::process::id(),
            host: host_name(),
            machine: machine_id(),
            since: timestamp::now(),
            heartbeat_unix_ms: now_unix_ms(),
        }
    }

    /// How long before `now_unix_ms` the holder last refreshed its lock (zero when the heartbeat
    /// is in the future: another machine's clock may run ahead).
    pub fn silent_for(&self, now_unix_ms: u64) -> Duration {
        Duration::from_millis(now_unix_ms.saturating_sub(self.heartbeat_unix_ms))
    }

    /// Whether the lock may be broken at `now_unix_ms`: its heartbeat is older than
    /// [`STALE_AFTER`], or the holder ran on this machine and its process is gone. `None` while
    /// the holder counts as alive.
    pub fn staleness(&self, now_unix_ms: u64) -> Option<Staleness> {
        let silent = self.silent_for(now_unix_ms);
        if silent > STALE_AFTER {
            return Some(Staleness::Silent(silent));
        }
        let same_machine = !self.machine.is_empty() && self.machine == machine_id();
        (same_machine && !process_exists(self.pid)).then_some(Staleness::ProcessGone)
    }
}

impl fmt::Display for LockHolder {
    /// `process 4242 on gpu-01 (since 2026-01-31T09:00:00.000Z)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "process {} on {} (since {})",
            self.pid, self.host, self.since
        )
    }
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Silent(silent) => write!(
                f,
                "its last heartbeat was {} s ago (a live holder refreshes it every {} s)",
                silent.as_secs(),
                HEARTBEAT_EVERY.as_secs()
            ),
            Self::ProcessGone => write!(f, "that process no longer exists on this machine"),
        }
    }
}

impl fmt::Display for TakenOver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.holder, self.staleness)
    }
}

/// Milliseconds since the Unix epoch, by this machine's clock.
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// This machine's host name, or `unknown host` when it cannot be read.
pub fn host_name() -> String {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    if name.is_empty() {
        "unknown host".to_owned()
    } else {
        name
    }
}

/// The process table this process's pid belongs to: host name, boot id and pid namespace where
/// the system tells them (Linux), the host name alone elsewhere.
fn machine_id() -> String {
    let mut id = host_name();
    if let Ok(boot) = std::fs::read_to_string("/proc/sys/kernel/random/boot_id") {
        id.push_str(" boot ");
        id.push_str(boot.trim());
    }
    if let Ok(namespace) = std::fs::read_link("/proc/self/ns/pid") {
        id.push(' ');
        id.push_str(&namespace.to_string_lossy());
    }
    id
}

/// Whether a process with this id exists on this machine. A process that exists but belongs to
/// another user counts: it may well be the holder.
fn process_exists(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        // Without a way to ask, only the heartbeat decides.
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(heartbeat_unix_ms: u64) -> LockHolder {
        LockHolder {
            heartbeat_unix_ms,
            ..LockHolder::this_process()
        }
    }

    #[test]
    fn a_live_holder_is_not_stale_until_its_heartbeat_is_thirty_seconds_old() {
        let beat = 1_000_000_000;
        let me = holder(beat);
        assert_eq!(me.staleness(beat), None);
        assert_eq!(me.staleness(beat + 30_000), None, "30 s is still alive");
        assert_eq!(
            me.staleness(beat + 30_001),
            Some(Staleness::Silent(Duration::from_millis(30_001)))
        );
        assert_eq!(
            me.staleness(beat - 5_000),
            None,
            "a heartbeat ahead of this clock is alive"
        );
    }

    #[test]
    fn a_holder_on_this_machine_whose_process_is_gone_is_stale_at_once() {
        let now = now_unix_ms();
        // Linux pids stop at 2^22 and macOS pids at 99,999: no process has this id.
        let gone = LockHolder {
            pid: 2_000_000_000,
            ..holder(now)
        };
        assert_eq!(gone.staleness(now), Some(Staleness::ProcessGone));
        // The same pid in another process table (another container, another boot) is only
        // judged by its heartbeat.
        let elsewhere = LockHolder {
            machine: "another machine".into(),
            ..gone
        };
        assert_eq!(elsewhere.staleness(now), None);
    }
}
