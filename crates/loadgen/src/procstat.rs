//! CPU time and resident memory of a process, from `/proc/PID/stat` and `/proc/PID/status`.

use std::sync::OnceLock;

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcSample {
    /// User + system CPU time, seconds, all threads (exited ones included).
    pub cpu_s: f64,
    pub rss_kib: u64,
    pub threads: u64,
}

/// Reads `pid` now; `None` when it is gone or unreadable.
pub fn sample(pid: u32) -> Option<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(ProcSample {
        cpu_s: cpu_ticks(&stat)? as f64 / clock_ticks(),
        rss_kib: status_kib(&status, "VmRSS:")?,
        threads: status_kib(&status, "Threads:").unwrap_or(0),
    })
}

/// `utime + stime` (fields 14 and 15) of a `stat` line. The command name may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The number after `key` in a `status` file (kB for memory lines).
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `CLK_TCK`, asked of `getconf` once; 100 (every Linux build in use) if that fails.
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_read_past_a_command_name_with_spaces_and_parens() {
        let stat = "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    1234 567 0 0 20 0 3 0 100 1000000 250 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(1801));
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn status_lines_are_found_by_key() {
        let status = "Name:\tlivedesk\nVmHWM:\t   20000 kB\nVmRSS:\t   18432 kB\nThreads:\t5\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(18432));
        assert_eq!(status_kib(status, "Threads:"), Some(5));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let s = sample(std::process::id());
        assert!(s.is_some_and(|s| s.rss_kib > 0 && s.threads >= 1));
    }
}
