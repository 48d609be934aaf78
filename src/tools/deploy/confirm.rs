//! Watching a container just started for `deploy.confirmMs` (a deploy is done when the
//! container runs, as `kubectl rollout status` waits for pods, not when it was accepted). A
//! container seen running is watched to the end of the window, so one that dies seconds after
//! it started (an OOM, a crash after loading) is a failed deploy; only a passing health check
//! ends the watch early.

use crate::io::fanout::Session;
use crate::io::host::Host;
use crate::node::entry::NodeEntry;
use crate::node::workload::{self, Health, State};
use crate::plugin::Plugin;
use crate::redact;
use crate::summary::cut;
use serde::Serialize;
use serde_json::json;

/// How often the container's state is read while watching, ms.
pub const POLL_MS: u64 = 1000;
/// Log lines kept from a container that failed to start.
pub const LOG_LINES: usize = 20;

/// What the watch concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The container runs.
    Running,
    /// It exited with code 0 within the window: a one-shot job that finished.
    Completed,
    /// It exited with an error (or died) within the window: the deploy failed.
    Exited,
    /// It is in a restart loop: the deploy failed.
    Restarting,
    /// The window ended before it was seen running (created, pulling, not listed yet, or the
    /// node's `workload.list` could not be read: see `listError`).
    Starting,
}

impl Outcome {
    /// Whether the container started: yes, no, or not known yet.
    pub fn started(self) -> Option<bool> {
        match self {
            Outcome::Running | Outcome::Completed => Some(true),
            Outcome::Exited | Outcome::Restarting => Some(false),
            Outcome::Starting => None,
        }
    }
}

/// What the watch saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmation {
    /// The conclusion.
    pub outcome: Outcome,
    /// The runtime's last status text for the container (`Up 3 seconds`, `Exited (1) 1 second ago`).
    pub status: String,
    /// Exit code, when it exited or restarts.
    pub exit_code: Option<i64>,
    /// Health check result, when it has one.
    pub health: Option<Health>,
    /// The last lines of its logs (stdout then stderr), secrets redacted, when it failed.
    pub logs: Vec<String>,
    /// How long the watch lasted, ms.
    pub waited_ms: f64,
    /// Whether it was seen running before the outcome (an exit after it ran).
    pub ran: bool,
    /// Why the node's `workload.list` could not be read, when the container was never listed.
    pub list_error: Option<String>,
}

impl Confirmation {
    /// One line for the summary.
    pub fn summary(&self) -> String {
        let status = if self.status.is_empty() { String::new() } else { format!(" ({})", self.status) };
        let last = self.logs.last().map(|l| format!("; last log line: {}", cut(l, 300))).unwrap_or_default();
        match self.outcome {
            Outcome::Running if self.health == Some(Health::Unhealthy) => {
                format!("running, but failing its health check{status}.")
            }
            Outcome::Running => format!("running{status}."),
            Outcome::Completed => format!("it ran and exited with code 0{status}: a one-shot job that finished."),
            Outcome::Exited => {
                let code = self.exit_code.map_or("an unknown code".to_owned(), |c| c.to_string());
                let when = if self.ran { "ran, then exited within the confirmation window" } else { "exited at once" };
                format!("it {when} with code {code}{status}{last}.")
            }
            Outcome::Restarting => format!("it is in a restart loop{status}{last}."),
            Outcome::Starting => match &self.list_error {
                Some(e) => format!(
                    "not confirmed after {:.0} s: the node's workload.list could not be read ({}); check claw_workloads \
                     for it later.",
                    self.waited_ms / 1000.0,
                    cut(e, 300)
                ),
                None => format!(
                    "still starting after {:.0} s{status}; check claw_workloads for it later.",
                    self.waited_ms / 1000.0
                ),
            },
        }
    }
}

/// Watches `container_id` on `node` for `deploy.confirmMs`, reporting progress as it waits.
pub async fn watch<H: Host>(
    p: &Plugin,
    host: &H,
    node: &NodeEntry,
    container_id: &str,
    session: &Session<'_, H>,
) -> Confirmation {
    let start = host.now_ms();
    let end = start + p.config.deploy.confirm_ms as f64;
    let mut seen = Confirmation {
        outcome: Outcome::Starting,
        status: String::new(),
        exit_code: None,
        health: None,
        logs: Vec::new(),
        waited_ms: 0.0,
        ran: false,
        list_error: None,
    };
    let mut told: Option<(State, Option<Health>)> = None;
    loop {
        let left = end - host.now_ms();
        if left <= 0.0 || host.cancelled() {
            break;
        }
        host.sleep(POLL_MS.min(left.ceil() as u64)).await;
        let listed = session.call("workload.list", &json!({})).await.and_then(|t| workload::parse_list(&t));
        let c = match listed {
            Ok(l) => l.value.into_iter().find(|c| c.has_id(container_id)),
            Err(e) => {
                if !seen.ran && seen.status.is_empty() {
                    seen.list_error = Some(e);
                }
                None
            }
        };
        let Some(c) = c else { continue };
        seen.list_error = None;
        seen.status = c.status.clone();
        seen.exit_code = c.exit_code;
        seen.health = c.health;
        // progress when the state or the health changes, not at every poll
        if told != Some((c.state, c.health)) {
            told = Some((c.state, c.health));
            let waiting = host.now_ms() - start;
            host.progress(
                &format!(
                    "waiting for {} on {}: {} ({:.0} s)",
                    short(container_id),
                    node.name,
                    c.status,
                    waiting / 1000.0
                ),
                &json!({"progress": {"containerId": container_id, "status": c.status, "waitedMs": waiting}}),
            );
        }
        match c.state {
            State::Running if c.health == Some(Health::Starting) => {}
            State::Running if c.health == Some(Health::Healthy) => {
                seen.outcome = Outcome::Running;
                break;
            }
            State::Running | State::Paused => {
                seen.outcome = Outcome::Running;
                seen.ran = true;
            }
            State::Exited if c.exit_code == Some(0) => {
                seen.outcome = Outcome::Completed;
                break;
            }
            State::Exited | State::Dead => {
                seen.outcome = Outcome::Exited;
                seen.logs = logs(session, container_id).await;
                break;
            }
            State::Restarting => {
                seen.outcome = Outcome::Restarting;
                seen.logs = logs(session, container_id).await;
                break;
            }
            State::Created | State::Removing | State::Unknown => {}
        }
    }
    seen.waited_ms = host.now_ms() - start;
    seen
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The last lines of a container's logs, secrets redacted.
async fn logs<H: Host>(session: &Session<'_, H>, container_id: &str) -> Vec<String> {
    let params = json!({"containerId": container_id, "tail": LOG_LINES});
    let Ok(l) = session.call("workload.logs", &params).await.and_then(|t| workload::parse_logs(&t)) else {
        return Vec::new();
    };
    let lines: Vec<&str> = l.logs.lines().chain(l.stderr.lines()).filter(|s| !s.trim().is_empty()).collect();
    let from = lines.len().saturating_sub(LOG_LINES);
    lines.iter().skip(from).map(|s| redact::url_passwords(&redact::line(&cut(s, 500)))).collect()
}
