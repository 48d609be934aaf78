//! What the plugin registers, described for the shim: the tools with their JSON-schema
//! parameters, the gateway methods with their scopes, the monitor service, the node invoke
//! policy (only with `nodePolicy: true`), and the commands the gateway must let through.

use crate::commands::{self, Class};
use crate::config::Config;
use crate::io::watch::TRANSITION_EVENT;
use crate::methods::METHODS;
use crate::tools::TOOLS;
use serde_json::{json, Value};

/// The health monitor's service id.
pub const SERVICE_ID: &str = "clawbernetes-health-monitor";

/// The node commands the plugin needs the gateway to let through
/// (`gateway.nodes.commands.allow`): what the tools read, and `workload.run` unless read-only.
pub fn allowlist(cfg: &Config) -> Vec<&'static str> {
    let mut out = commands::TOOL_READS.to_vec();
    if !cfg.read_only {
        out.push(commands::RUN);
    }
    out
}

/// The commands of the node invoke policy: what the tools use, what `claw_multi_invoke` may
/// send under the config (reads; writes unless read-only; sensitive ones allowed by name),
/// minus denied ones.
pub fn policy_commands(cfg: &Config) -> Vec<&'static str> {
    let mut out = allowlist(cfg);
    out.extend(commands::READ.iter().copied());
    if !cfg.read_only {
        out.extend(commands::ALL.iter().copied().filter(|c| commands::classify(c) == Class::Write));
        out.extend(commands::SENSITIVE.iter().copied().filter(|c| cfg.multi_invoke.allow.iter().any(|a| a == c)));
    }
    let needed = allowlist(cfg);
    out.retain(|c| !cfg.multi_invoke.deny.iter().any(|d| d == c) || needed.contains(c));
    out.sort_unstable();
    out.dedup();
    out
}

/// Everything the shim registers.
pub fn describe(cfg: &Config) -> Value {
    let policy = cfg.node_policy.then(|| json!({"commands": policy_commands(cfg), "platforms": ["linux"]}));
    json!({
        "tools": TOOLS.iter().map(|t| t.schema()).collect::<Vec<_>>(),
        "methods": METHODS.iter().map(|(name, scope)| json!({"name": name, "scope": scope})).collect::<Vec<_>>(),
        "service": SERVICE_ID,
        "event": TRANSITION_EVENT,
        "policy": policy,
        "allowlist": allowlist(cfg),
        "healthIntervalMs": cfg.health_interval_ms,
        "nodePolicy": cfg.node_policy,
        "alerts": cfg.alerts,
        "deploy": cfg.deploy,
    })
}
