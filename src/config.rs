//! The plugin's configuration (`plugins.entries.clawbernetes.config`): defaults and checks.
//!
//! The gateway validates the same rules from the manifest's `configSchema` before the plugin
//! loads; these checks keep the core safe on its own and name the offending key.

use serde::{Deserialize, Serialize};

/// How the plugin reaches nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Transport {
    /// In-process `api.runtime.nodes` when the host has it, else HTTP.
    #[default]
    Auto,
    /// In-process `api.runtime.nodes` only.
    Runtime,
    /// `POST {gatewayUrl}/tools/invoke` with the `nodes` tool.
    Http,
}

/// Health thresholds: a warning makes a node degraded, a critical value unhealthy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Thresholds {
    /// Disk use (percent) that makes a node degraded.
    pub disk_warn_percent: f64,
    /// Disk use (percent) that makes a node unhealthy.
    pub disk_crit_percent: f64,
    /// Memory use (percent) that makes a node degraded.
    pub memory_warn_percent: f64,
    /// Memory use (percent) that makes a node unhealthy.
    pub memory_crit_percent: f64,
    /// GPU temperature (°C) that makes a node degraded.
    pub gpu_temp_warn_c: f64,
    /// GPU temperature (°C) that makes a node unhealthy.
    pub gpu_temp_crit_c: f64,
    /// Five-minute load per CPU that makes a node degraded.
    pub load_per_cpu_warn: f64,
    /// Five-minute load per CPU that makes a node unhealthy.
    pub load_per_cpu_crit: f64,
    /// Consecutive unanswered checks after which the monitor calls a node offline (before
    /// that it is unreachable).
    pub failures_to_offline: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            disk_warn_percent: 85.0,
            disk_crit_percent: 95.0,
            memory_warn_percent: 90.0,
            memory_crit_percent: 97.0,
            gpu_temp_warn_c: 80.0,
            gpu_temp_crit_c: 90.0,
            load_per_cpu_warn: 2.0,
            load_per_cpu_crit: 4.0,
            failures_to_offline: 5,
        }
    }
}

/// Which node commands `claw_multi_invoke` may send.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MultiInvoke {
    /// Sensitive commands allowed by name (`system.run`, `secret.get`, …).
    pub allow: Vec<String>,
    /// Commands refused whatever else says.
    pub deny: Vec<String>,
    /// Whether secret values nodes return (`secret.get`, `auth.create_key`) may appear in results.
    pub reveal_secrets: bool,
}

/// How bad a transition must be to reach the agent as a system event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum AlertLevel {
    /// Any state but healthy: degraded and worse.
    Degraded,
    /// Unhealthy, unreachable, unusable, offline, gone.
    #[default]
    Unhealthy,
    /// Offline and gone only.
    Offline,
}

/// Alerts the monitor hands the agent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Alerts {
    /// Whether transitions reach the agent at all.
    pub enabled: bool,
    /// The least severe state that alerts (going into it, and recovering from it).
    pub min_severity: AlertLevel,
    /// A node that alerted is not alerted again within this many milliseconds; the next
    /// message says it is flapping.
    pub cooldown_ms: u64,
}

impl Default for Alerts {
    fn default() -> Self {
        Self { enabled: true, min_severity: AlertLevel::Unhealthy, cooldown_ms: 600_000 }
    }
}

/// `claw_deploy`'s behaviour.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Deploy {
    /// How long a deploy watches its container start before it reports (0: not at all).
    pub confirm_ms: u64,
}

impl Default for Deploy {
    fn default() -> Self {
        Self { confirm_ms: 8_000 }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// How nodes are reached.
    pub transport: Transport,
    /// Gateway base URL for the HTTP transport.
    pub gateway_url: String,
    /// Bearer token for the HTTP transport (else the host's `OPENCLAW_GATEWAY_TOKEN`).
    pub gateway_token: Option<String>,
    /// Milliseconds between health-monitor ticks.
    pub health_interval_ms: u64,
    /// Deadline of one node invoke, in milliseconds.
    pub invoke_timeout_ms: u64,
    /// Invokes in flight across the fleet at most: the ceiling of the adaptive bound (the
    /// gateway admits 128 pending node invokes in all).
    pub max_concurrency: usize,
    /// How long static node facts (capabilities, GPU list) are reused, in milliseconds.
    pub facts_ttl_ms: u64,
    /// Health thresholds.
    pub thresholds: Thresholds,
    /// `claw_multi_invoke` allow / deny lists.
    pub multi_invoke: MultiInvoke,
    /// When true nothing is started, stopped or changed through the plugin.
    pub read_only: bool,
    /// Whether to register a node invoke policy for the commands the tools use. It only helps
    /// protocol-4 nodes on platform `linux`; for today's clawnode (protocol 3, `linux x86_64`)
    /// it makes the gateway withhold those commands, so it is off by default.
    pub node_policy: bool,
    /// Alerts to the agent.
    pub alerts: Alerts,
    /// Deploy confirmation.
    pub deploy: Deploy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            transport: Transport::Auto,
            gateway_url: "http://127.0.0.1:18789".to_owned(),
            gateway_token: None,
            health_interval_ms: 60_000,
            invoke_timeout_ms: 30_000,
            max_concurrency: 120,
            facts_ttl_ms: 600_000,
            thresholds: Thresholds::default(),
            multi_invoke: MultiInvoke::default(),
            read_only: false,
            node_policy: false,
            alerts: Alerts::default(),
            deploy: Deploy::default(),
        }
    }
}

/// A configuration the plugin refuses to start with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid clawbernetes config: {0}")]
pub struct ConfigError(pub String);

fn check_range(key: &str, v: f64, lo: f64, hi: f64) -> Result<(), ConfigError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError(format!("{key} must be between {lo} and {hi}, got {v}")))
    }
}

impl Config {
    /// Parses and checks a configuration from JSON (`null` or `{}` gives the defaults).
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let text = if text.trim().is_empty() || text.trim() == "null" { "{}" } else { text };
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        if !v.is_object() {
            return Err(ConfigError(format!("the config must be a JSON object, got {}", crate::json::kind(&v))));
        }
        let cfg: Config = serde_json::from_value(v.clone()).map_err(|e| ConfigError(Self::explain(&v, e)))?;
        cfg.check()?;
        Ok(cfg)
    }

    /// serde's reason with the key it is about (`thresholds.failuresToOffline: invalid value…`),
    /// found by reading each key alone; never repeats the token's value.
    fn explain(v: &serde_json::Value, e: serde_json::Error) -> String {
        let fails = |probe: serde_json::Value| serde_json::from_value::<Config>(probe).err();
        for (key, val) in v.as_object().into_iter().flatten() {
            let Some(err) = fails(serde_json::json!({ key: val })) else { continue };
            if key == "gatewayToken" {
                return "gatewayToken must be a string (its value is not shown)".to_owned();
            }
            let inner = val.as_object().into_iter().flatten();
            if let Some((k, err)) =
                inner.filter_map(|(k, x)| Some((k, fails(serde_json::json!({ key: { k: x } }))?))).next()
            {
                return format!("{key}.{k}: {err}");
            }
            if err.to_string().starts_with("unknown field") {
                return err.to_string();
            }
            return format!("{key}: {err}");
        }
        e.to_string()
    }

    fn check(&self) -> Result<(), ConfigError> {
        let url = self.gateway_url.as_str();
        let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/') || r.contains(char::is_whitespace)) {
            return Err(ConfigError(format!("gatewayUrl must be an http:// or https:// URL, got {url:?}")));
        }
        check_range("healthIntervalMs", self.health_interval_ms as f64, 1000.0, 86_400_000.0)?;
        check_range("invokeTimeoutMs", self.invoke_timeout_ms as f64, 100.0, 600_000.0)?;
        check_range("maxConcurrency", self.max_concurrency as f64, 1.0, 100_000.0)?;
        check_range("factsTtlMs", self.facts_ttl_ms as f64, 0.0, 86_400_000.0)?;
        let t = &self.thresholds;
        for (warn_key, warn, crit_key, crit, hi) in [
            ("diskWarnPercent", t.disk_warn_percent, "diskCritPercent", t.disk_crit_percent, 100.0),
            ("memoryWarnPercent", t.memory_warn_percent, "memoryCritPercent", t.memory_crit_percent, 100.0),
            ("gpuTempWarnC", t.gpu_temp_warn_c, "gpuTempCritC", t.gpu_temp_crit_c, 150.0),
            ("loadPerCpuWarn", t.load_per_cpu_warn, "loadPerCpuCrit", t.load_per_cpu_crit, 1000.0),
        ] {
            check_range(&format!("thresholds.{warn_key}"), warn, 0.0, hi)?;
            check_range(&format!("thresholds.{crit_key}"), crit, 0.0, hi)?;
            if warn > crit {
                return Err(ConfigError(format!(
                    "thresholds.{warn_key} ({warn}) is above thresholds.{crit_key} ({crit}): the warning level must \
                     not exceed the critical one"
                )));
            }
        }
        check_range("thresholds.failuresToOffline", f64::from(t.failures_to_offline), 1.0, 1000.0)?;
        check_range("alerts.cooldownMs", self.alerts.cooldown_ms as f64, 0.0, 86_400_000.0)?;
        check_range("deploy.confirmMs", self.deploy.confirm_ms as f64, 0.0, 600_000.0)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_defaults() {
        assert_eq!(Config::from_json("{}").unwrap(), Config::default());
        assert_eq!(Config::from_json("null").unwrap(), Config::default());
    }

    #[test]
    fn bad_config_names_the_key() {
        let e = |s| Config::from_json(s).unwrap_err().to_string();
        assert_eq!(
            e(r#"{"healthIntervalMs": 10}"#),
            "invalid clawbernetes config: healthIntervalMs must be between 1000 and 86400000, got 10"
        );
        assert_eq!(
            e(r#"{"gatewayUrl": "file:///etc/passwd"}"#),
            "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"file:///etc/passwd\""
        );
        assert!(e(r#"{"bogus": 1}"#).starts_with("invalid clawbernetes config: unknown field `bogus`"));
        assert!(e(r#"{"transport": "carrier-pigeon"}"#)
            .starts_with("invalid clawbernetes config: transport: unknown variant `carrier-pigeon`"));
        assert_eq!(
            e(r#"{"thresholds": {"diskWarnPercent": 99}}"#),
            "invalid clawbernetes config: thresholds.diskWarnPercent (99) is above thresholds.diskCritPercent (95): the warning level must not exceed the critical one"
        );
    }
}
