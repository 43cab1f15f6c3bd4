//! Start-up: start `livedesk serve` on an existing database, time until `/readyz` answers,
//! read its idle memory, stop it; a few times over.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::RunOptions;
use crate::api::Api;
use crate::error::{LoadError, Result};
use crate::procstat;
use crate::report::{Report, Startup};
use crate::stats::round;

pub async fn run(o: &RunOptions) -> Result<Report> {
    let bin = o
        .bin
        .as_ref()
        .ok_or_else(|| LoadError::usage("start-up needs --bin (the livedesk binary)"))?;
    let program = bin.display().to_string();
    let fail = |reason: String| LoadError::Command {
        program: program.clone(),
        reason,
    };
    let api = Api::new(&format!("http://{}", o.listen))?;
    let mut runs = Vec::new();
    let mut idle_rss = 0;
    for _ in 0..o.repeat.max(1) {
        let mut cmd = tokio::process::Command::new(bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg(o.listen.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(d) = &o.data_dir {
            cmd.arg("--data-dir").arg(d);
        }
        if let Some(u) = &o.database_url {
            cmd.arg("--database-url").arg(u);
        }
        let began = Instant::now();
        let mut child = cmd.spawn().map_err(|e| fail(e.to_string()))?;
        let pid = child.id().unwrap_or(0);
        let mut ready = false;
        while began.elapsed() < Duration::from_secs(10) {
            if api.ready().await {
                ready = true;
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(fail(format!("exited with {status} before serving")));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let ms = began.elapsed().as_secs_f64() * 1e3;
        if !ready {
            let _ = child.kill().await;
            return Err(fail(format!("not ready on {} within 10 s", o.listen)));
        }
        runs.push(round(ms, 1));
        tokio::time::sleep(Duration::from_secs(1)).await;
        idle_rss = procstat::sample(pid).map(|s| s.rss_kib).unwrap_or(0);
        terminate(pid).await;
        if tokio::time::timeout(Duration::from_secs(15), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let max = sorted.last().copied().unwrap_or(0.0);
    let backend = match &o.database_url {
        Some(u) if u.starts_with("postgres") => "postgres",
        _ => "sqlite",
    };
    Ok(Report {
        label: o.label.clone().unwrap_or_else(|| "livedesk/startup".into()),
        target: "livedesk".into(),
        scenario: "startup".into(),
        backend: Some(backend.into()),
        room_size: "-".into(),
        startup: Some(Startup {
            runs_ms: runs,
            median_ms: median,
            max_ms: max,
            idle_rss_kib: idle_rss,
        }),
        ..Report::default()
    })
}

/// SIGTERM, so the server shuts down as it would in production.
async fn terminate(pid: u32) {
    let _ = tokio::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .await;
}
