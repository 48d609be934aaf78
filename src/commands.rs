//! What clawnode commands do: read, change, or something sensitive (run processes, reveal
//! secrets, destroy work). Drives `claw_multi_invoke`'s refusals, `readOnly`, and the node
//! invoke policy.

/// How much harm a command can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Only reads.
    Read,
    /// Changes state on the node.
    Write,
    /// Runs arbitrary processes, reveals secrets, spends money or destroys work:
    /// refused by `claw_multi_invoke` unless the config allows it by name.
    Sensitive,
}

/// Every command a clawnode build can serve (all features).
pub const ALL: &[&str] = &[
    "alerts.acknowledge",
    "alerts.create",
    "alerts.list",
    "audit.query",
    "auth.create_key",
    "auth.list_keys",
    "auth.revoke_key",
    "autoscale.adjust",
    "autoscale.create",
    "autoscale.delete",
    "autoscale.status",
    "backup.create",
    "backup.list",
    "backup.restore",
    "config.create",
    "config.delete",
    "config.get",
    "config.list",
    "config.update",
    "container.exec",
    "cron.create",
    "cron.list",
    "cron.resume",
    "cron.suspend",
    "cron.trigger",
    "deploy.create",
    "deploy.delete",
    "deploy.history",
    "deploy.pause",
    "deploy.promote",
    "deploy.rollback",
    "deploy.status",
    "deploy.update",
    "events.emit",
    "events.query",
    "gpu.list",
    "gpu.metrics",
    "ingress.create",
    "ingress.delete",
    "job.create",
    "job.delete",
    "job.logs",
    "job.status",
    "metrics.list",
    "metrics.query",
    "metrics.snapshot",
    "molt.balance",
    "molt.bid",
    "molt.discover",
    "molt.reputation",
    "molt.status",
    "namespace.create",
    "namespace.list",
    "namespace.set_quota",
    "namespace.usage",
    "network.policy.create",
    "network.policy.delete",
    "network.policy.list",
    "network.status",
    "node.capabilities",
    "node.drain",
    "node.health",
    "node.label",
    "node.taint",
    "policy.create",
    "policy.list",
    "policy.validate",
    "secret.create",
    "secret.delete",
    "secret.get",
    "secret.list",
    "secret.rotate",
    "service.create",
    "service.delete",
    "service.endpoints",
    "service.get",
    "service.list",
    "system.info",
    "system.run",
    "system.which",
    "volume.create",
    "volume.delete",
    "volume.list",
    "volume.mount",
    "volume.snapshot",
    "volume.unmount",
    "workload.inspect",
    "workload.list",
    "workload.logs",
    "workload.run",
    "workload.stats",
    "workload.stop",
];

/// Commands that only read.
pub const READ: &[&str] = &[
    "alerts.list",
    "audit.query",
    "auth.list_keys",
    "autoscale.status",
    "backup.list",
    "config.get",
    "config.list",
    "cron.list",
    "deploy.history",
    "deploy.status",
    "events.query",
    "gpu.list",
    "gpu.metrics",
    "job.logs",
    "job.status",
    "metrics.list",
    "metrics.query",
    "metrics.snapshot",
    "molt.balance",
    "molt.discover",
    "molt.reputation",
    "molt.status",
    "namespace.list",
    "namespace.usage",
    "network.policy.list",
    "network.status",
    "node.capabilities",
    "node.health",
    "policy.list",
    "policy.validate",
    "secret.list",
    "service.endpoints",
    "service.get",
    "service.list",
    "system.info",
    "system.which",
    "volume.list",
    "workload.inspect",
    "workload.list",
    "workload.logs",
    "workload.stats",
];

/// Commands refused fleet-wide unless allowed by name: they run processes, start containers
/// from a spec the plugin does not check (`claw_deploy` checks and places `workload.run`), mount
/// host paths, reveal secrets, spend money or destroy work.
pub const SENSITIVE: &[&str] = &[
    "auth.create_key",
    "auth.revoke_key",
    "autoscale.delete",
    "backup.restore",
    "config.delete",
    "container.exec",
    "cron.create",
    "deploy.create",
    "deploy.delete",
    "deploy.rollback",
    "deploy.update",
    "ingress.delete",
    "job.create",
    "job.delete",
    "molt.bid",
    "network.policy.delete",
    "node.drain",
    "secret.delete",
    "secret.get",
    "secret.rotate",
    "service.delete",
    "system.run",
    "volume.create",
    "volume.delete",
    "volume.mount",
    "volume.unmount",
    "workload.run",
    "workload.stop",
];

/// The commands the tools and the monitor read: what every check asks, and the logs of a
/// deploy that failed to start.
pub const TOOL_READS: [&str; 6] =
    ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list", "workload.logs"];

/// The command `claw_deploy` runs.
pub const RUN: &str = "workload.run";

/// Classifies a command; unknown commands count as writes.
pub fn classify(command: &str) -> Class {
    if SENSITIVE.contains(&command) {
        Class::Sensitive
    } else if READ.contains(&command) {
        Class::Read
    } else {
        Class::Write
    }
}

/// Whether `command` looks like a clawnode command name (`gpu.metrics`, `network.policy.list`).
pub fn is_well_formed(command: &str) -> bool {
    let mut parts = command.split('.');
    let first_ok = parts.next().is_some_and(|p| !p.is_empty());
    let mut rest = 0;
    let rest_ok = parts.all(|p| {
        rest += 1;
        !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    });
    first_ok
        && rest_ok
        && rest >= 1
        && command.len() <= 64
        && command.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && command.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
}
