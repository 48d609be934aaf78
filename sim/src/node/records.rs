//! The bookkeeping commands: config, secret, deploy, job, cron, namespace, node labels and
//! taints, volume, backup, auth and audit, autoscale, policy. clawnode mostly records these
//! and answers; the payloads copy its shapes (snake_case for config/job/cron/namespace/policy,
//! camelCase for secret/deploy/volume/backup/auth/autoscale).

use super::{parse, Node};
use crate::clock::rfc3339;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Every store, keyed by name.
#[derive(Default)]
pub struct Records {
    configs: BTreeMap<String, Value>,
    secrets: BTreeMap<String, Value>,
    deployments: BTreeMap<String, Value>,
    jobs: BTreeMap<String, Value>,
    crons: BTreeMap<String, Value>,
    namespaces: BTreeMap<String, Value>,
    volumes: BTreeMap<String, Value>,
    backups: BTreeMap<String, Value>,
    keys: BTreeMap<String, Value>,
    audit: Vec<Value>,
    autoscalers: BTreeMap<String, Value>,
    policies: BTreeMap<String, Value>,
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct NameParams {
    name: String,
}

#[derive(Deserialize)]
struct ConfigCreateParams {
    name: String,
    data: BTreeMap<String, String>,
    immutable: Option<bool>,
}

#[derive(Deserialize)]
struct ConfigUpdateParams {
    name: String,
    data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct ConfigListParams {
    prefix: Option<String>,
}

#[derive(Deserialize)]
struct SecretCreateParams {
    name: String,
    data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct SecretRotateParams {
    name: String,
    data: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct DeployCreateParams {
    name: String,
    image: String,
    replicas: Option<u32>,
    strategy: Option<String>,
    gpus: Option<u32>,
    memory: Option<String>,
    cpu: Option<f64>,
}

#[derive(Deserialize)]
struct DeployIdentifyParams {
    name: Option<String>,
}

#[derive(Deserialize)]
struct DeployUpdateParams {
    name: String,
    image: Option<String>,
    replicas: Option<u32>,
}

#[derive(Deserialize)]
struct DeployRollbackParams {
    name: String,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobCreateParams {
    name: String,
    image: String,
    command: Option<Vec<String>>,
    completions: Option<u32>,
    parallelism: Option<u32>,
    backoff_limit: Option<u32>,
}

#[derive(Deserialize)]
struct CronCreateParams {
    name: String,
    schedule: String,
    image: String,
    command: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct NamespaceQuotas {
    cpu: Option<f64>,
    memory: Option<u64>,
    gpus: Option<u32>,
    storage: Option<u64>,
}

#[derive(Deserialize)]
struct NamespaceCreateParams {
    name: String,
    quotas: Option<NamespaceQuotas>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct NamespaceSetQuotaParams {
    name: String,
    cpu: Option<f64>,
    memory: Option<u64>,
    gpus: Option<u32>,
    storage: Option<u64>,
}

#[derive(Deserialize)]
struct NodeLabelParams {
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct NodeTaintParams {
    key: String,
    value: Option<String>,
    effect: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeCreateParams {
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    host_path: Option<String>,
    size: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeMountParams {
    name: String,
    container_id: String,
    mount_path: String,
}

#[derive(Deserialize)]
struct BackupCreateParams {
    scope: String,
    destination: Option<String>,
}

#[derive(Deserialize)]
struct BackupRestoreParams {
    id: String,
}

#[derive(Deserialize)]
struct AuthCreateKeyParams {
    name: String,
    role: Option<String>,
    scopes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthRevokeKeyParams {
    key_id: String,
}

#[derive(Deserialize)]
struct AuditQueryParams {
    actor: Option<String>,
    action: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AutoscaleCreateParams {
    name: String,
    target: String,
    min_replicas: Option<u32>,
    max_replicas: Option<u32>,
    policy_type: Option<String>,
    metric: Option<String>,
    threshold: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AutoscaleAdjustParams {
    name: String,
    replicas: Option<u32>,
    min_replicas: Option<u32>,
    max_replicas: Option<u32>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
struct PolicyCreateParams {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    rules: Option<Vec<Value>>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkloadSpecParams {
    image: Option<String>,
    gpus: Option<u64>,
    memory_mb: Option<u64>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyValidateParams {
    workload_spec: WorkloadSpecParams,
}

fn not_found(kind: &str, name: &str) -> String {
    format!("{kind} not found: {name}")
}

fn get_mut<'a>(
    store: &'a mut BTreeMap<String, Value>,
    kind: &str,
    name: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    store.get_mut(name).and_then(Value::as_object_mut).ok_or_else(|| not_found(kind, name))
}

fn field(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(Value::Null)
}

impl Node {
    pub(super) fn record_command(&mut self, command: &str, params: Value, now: u64) -> Result<Value, String> {
        let ts = rfc3339(now);
        let secs = now / 1000;
        match command {
            // ── config ───────────────────────────────────────────
            "config.create" => {
                let p: ConfigCreateParams = parse(params)?;
                if self.records.configs.contains_key(&p.name) {
                    return Err(format!("config already exists: {}", p.name));
                }
                let immutable = p.immutable.unwrap_or(false);
                self.records.configs.insert(
                    p.name.clone(),
                    json!({"name": p.name, "data": p.data, "immutable": immutable, "created_at": ts, "updated_at": ts}),
                );
                Ok(json!({"name": p.name, "immutable": immutable, "success": true}))
            }
            "config.get" => {
                let p: NameParams = parse(params)?;
                self.records.configs.get(&p.name).cloned().ok_or_else(|| not_found("config", &p.name))
            }
            "config.update" => {
                let p: ConfigUpdateParams = parse(params)?;
                let c = get_mut(&mut self.records.configs, "config", &p.name)?;
                if c.get("immutable") == Some(&Value::Bool(true)) {
                    return Err(format!("config is immutable: {}", p.name));
                }
                let mut data = c.get("data").and_then(Value::as_object).cloned().unwrap_or_default();
                data.extend(p.data.into_iter().map(|(k, v)| (k, Value::String(v))));
                c.insert("data".into(), Value::Object(data));
                c.insert("updated_at".into(), json!(ts));
                Ok(json!({"name": p.name, "success": true}))
            }
            "config.delete" => {
                let p: NameParams = parse(params)?;
                self.records.configs.remove(&p.name).ok_or_else(|| not_found("config", &p.name))?;
                Ok(json!({"name": p.name, "deleted": true}))
            }
            "config.list" => {
                let p: ConfigListParams = parse(params)?;
                let configs: Vec<Value> = self
                    .records
                    .configs
                    .values()
                    .filter(|c| p.prefix.as_deref().is_none_or(|pre| c["name"].as_str().unwrap_or("").starts_with(pre)))
                    .map(|c| {
                        let keys: Vec<&String> = c.get("data").and_then(Value::as_object).map(|d| d.keys().collect()).unwrap_or_default();
                        json!({"name": c["name"], "keys": keys, "immutable": c["immutable"], "created_at": c["created_at"], "updated_at": c["updated_at"]})
                    })
                    .collect();
                Ok(json!({"count": configs.len(), "configs": configs}))
            }
            // ── secret ───────────────────────────────────────────
            "secret.create" => {
                let p: SecretCreateParams = parse(params)?;
                if self.records.secrets.contains_key(&p.name) {
                    return Err(format!("secret already exists: {}", p.name));
                }
                let keys: Vec<&String> = p.data.keys().collect();
                let reply = json!({"name": p.name, "keys": keys, "keyVersion": 1, "success": true});
                self.records.secrets.insert(
                    p.name.clone(),
                    json!({"name": p.name, "data": p.data, "keyVersion": 1, "createdAt": ts, "rotatedAt": ts}),
                );
                Ok(reply)
            }
            "secret.get" => {
                let p: NameParams = parse(params)?;
                self.records.secrets.get(&p.name).cloned().ok_or_else(|| not_found("secret", &p.name))
            }
            "secret.delete" => {
                let p: NameParams = parse(params)?;
                self.records.secrets.remove(&p.name).ok_or_else(|| not_found("secret", &p.name))?;
                Ok(json!({"name": p.name, "deleted": true}))
            }
            "secret.list" => {
                let secrets: Vec<Value> = self
                    .records
                    .secrets
                    .values()
                    .map(|s| json!({"name": s["name"], "keyVersion": s["keyVersion"], "createdAt": s["createdAt"], "rotatedAt": s["rotatedAt"]}))
                    .collect();
                Ok(json!({"count": secrets.len(), "secrets": secrets}))
            }
            "secret.rotate" => {
                let p: SecretRotateParams = parse(params)?;
                let s = get_mut(&mut self.records.secrets, "secret", &p.name)?;
                if let Some(data) = p.data {
                    s.insert("data".into(), json!(data));
                }
                s.insert("rotatedAt".into(), json!(ts));
                Ok(
                    json!({"name": p.name, "keyVersion": s.get("keyVersion").cloned().unwrap_or(json!(1)), "rotated": true}),
                )
            }
            // ── deploy ───────────────────────────────────────────
            "deploy.create" => {
                let p: DeployCreateParams = parse(params)?;
                if self.records.deployments.contains_key(&p.name) {
                    return Err(format!("deployment already exists: {}", p.name));
                }
                let replicas = p.replicas.unwrap_or(1);
                let strategy = p.strategy.unwrap_or_else(|| "rolling".to_string());
                let containers: Vec<String> = (0..replicas).map(|_| self.container_id()).collect();
                let record = json!({
                    "name": p.name, "image": p.image, "replicas": replicas, "strategy": strategy,
                    "gpusPerReplica": p.gpus.unwrap_or(0), "memory": p.memory, "cpu": p.cpu,
                    "containers": containers, "revision": 1, "state": "active", "previousImage": null,
                    "createdAt": ts, "updatedAt": ts, "paused": false,
                    "revisions": [{"revision": 1, "image": p.image, "replicas": replicas, "reason": "initial deployment", "timestamp": ts}],
                });
                self.records.deployments.insert(p.name.clone(), record);
                Ok(
                    json!({"name": p.name, "image": p.image, "replicas": replicas, "strategy": strategy, "containers": containers, "revision": 1, "state": "active", "success": true}),
                )
            }
            "deploy.status" => {
                let p: NameParams = parse(params)?;
                let d = self.records.deployments.get(&p.name).ok_or_else(|| not_found("deployment", &p.name))?;
                let mut out = d.as_object().cloned().unwrap_or_default();
                out.remove("revisions");
                out.remove("paused");
                Ok(Value::Object(out))
            }
            "deploy.history" => {
                let p: DeployIdentifyParams = parse(params)?;
                match p.name {
                    Some(name) => {
                        let d = self.records.deployments.get(&name).ok_or_else(|| not_found("deployment", &name))?;
                        Ok(json!({"name": name, "currentRevision": d["revision"], "revisions": d["revisions"]}))
                    }
                    None => {
                        let deployments: Vec<Value> = self
                            .records
                            .deployments
                            .values()
                            .map(|d| json!({"name": d["name"], "image": d["image"], "replicas": d["replicas"], "revision": d["revision"], "state": d["state"]}))
                            .collect();
                        Ok(json!({"count": deployments.len(), "deployments": deployments}))
                    }
                }
            }
            "deploy.update" => {
                let p: DeployUpdateParams = parse(params)?;
                let d = get_mut(&mut self.records.deployments, "deployment", &p.name)?;
                if d.get("paused") == Some(&Value::Bool(true)) {
                    return Err(format!("deployment is paused: {}", p.name));
                }
                let revision = d.get("revision").and_then(Value::as_u64).unwrap_or(1) + 1;
                let old_image = d.get("image").cloned().unwrap_or(Value::Null);
                let image = p.image.map_or(old_image.clone(), Value::String);
                let replicas = p.replicas.map_or(d.get("replicas").cloned().unwrap_or(json!(1)), |r| json!(r));
                d.insert("previousImage".into(), old_image);
                d.insert("image".into(), image.clone());
                d.insert("replicas".into(), replicas.clone());
                d.insert("revision".into(), json!(revision));
                d.insert("updatedAt".into(), json!(ts));
                if let Some(Value::Array(revs)) = d.get_mut("revisions") {
                    revs.push(json!({"revision": revision, "image": image, "replicas": replicas, "reason": "update", "timestamp": ts}));
                }
                Ok(
                    json!({"name": p.name, "image": image, "replicas": replicas, "revision": revision, "state": "active", "success": true}),
                )
            }
            "deploy.rollback" => {
                let p: DeployRollbackParams = parse(params)?;
                let d = get_mut(&mut self.records.deployments, "deployment", &p.name)?;
                let previous = d.get("previousImage").cloned().unwrap_or(Value::Null);
                if previous.is_null() {
                    return Err(format!("no previous revision to roll back to: {}", p.name));
                }
                let revision = d.get("revision").and_then(Value::as_u64).unwrap_or(1) + 1;
                let current = d.get("image").cloned().unwrap_or(Value::Null);
                let reason = p.reason.unwrap_or_else(|| "rollback".to_string());
                d.insert("image".into(), previous.clone());
                d.insert("previousImage".into(), current);
                d.insert("revision".into(), json!(revision));
                d.insert("updatedAt".into(), json!(ts));
                let replicas = d.get("replicas").cloned().unwrap_or(json!(1));
                if let Some(Value::Array(revs)) = d.get_mut("revisions") {
                    revs.push(json!({"revision": revision, "image": previous, "replicas": replicas, "reason": reason, "timestamp": ts}));
                }
                Ok(json!({"name": p.name, "image": previous, "revision": revision, "rolledBack": true}))
            }
            "deploy.promote" => {
                let p: NameParams = parse(params)?;
                let d = get_mut(&mut self.records.deployments, "deployment", &p.name)?;
                d.insert("state".into(), json!("active"));
                d.insert("paused".into(), json!(false));
                Ok(json!({"name": p.name, "promoted": true, "state": "active"}))
            }
            "deploy.pause" => {
                let p: NameParams = parse(params)?;
                let d = get_mut(&mut self.records.deployments, "deployment", &p.name)?;
                d.insert("paused".into(), json!(true));
                Ok(
                    json!({"name": p.name, "paused": true, "message": "deployment paused (updates blocked until resumed)"}),
                )
            }
            "deploy.delete" => {
                let p: NameParams = parse(params)?;
                let d = self.records.deployments.remove(&p.name).ok_or_else(|| not_found("deployment", &p.name))?;
                let removed = d.get("containers").and_then(Value::as_array).map_or(0, Vec::len);
                Ok(json!({"name": p.name, "deleted": true, "containersRemoved": removed}))
            }
            // ── job and cron ─────────────────────────────────────
            "job.create" => {
                let p: JobCreateParams = parse(params)?;
                if self.records.jobs.contains_key(&p.name) {
                    return Err(format!("job already exists: {}", p.name));
                }
                let completions = p.completions.unwrap_or(1);
                let parallelism = p.parallelism.unwrap_or(1);
                self.records.jobs.insert(
                    p.name.clone(),
                    json!({"name": p.name, "image": p.image, "command": p.command, "completions": completions, "parallelism": parallelism,
                           "backoff_limit": p.backoff_limit.unwrap_or(6), "created_ms": now, "created_at": ts}),
                );
                Ok(
                    json!({"name": p.name, "image": p.image, "completions": completions, "parallelism": parallelism, "state": "running", "success": true}),
                )
            }
            "job.status" => {
                let p: NameParams = parse(params)?;
                let j = self.records.jobs.get(&p.name).ok_or_else(|| not_found("job", &p.name))?;
                let created = j.get("created_ms").and_then(Value::as_u64).unwrap_or(now);
                Ok(json!({
                    "name": p.name, "image": j["image"], "state": "running", "completed": 0, "failed": 0,
                    "completions": format!("0/{}", j["completions"]), "parallelism": j["parallelism"],
                    "created_at": j["created_at"], "finished_at": null, "duration_secs": now.saturating_sub(created) / 1000,
                }))
            }
            "job.logs" => {
                let p: NameParams = parse(params)?;
                self.records.jobs.get(&p.name).ok_or_else(|| not_found("job", &p.name))?;
                Ok(json!({"name": p.name, "logs": "", "message": "no containers spawned yet"}))
            }
            "job.delete" => {
                let p: NameParams = parse(params)?;
                self.records.jobs.remove(&p.name).ok_or_else(|| not_found("job", &p.name))?;
                Ok(json!({"name": p.name, "deleted": true, "containers_stopped": 0}))
            }
            "cron.create" => {
                let p: CronCreateParams = parse(params)?;
                if p.schedule.split_whitespace().count() != 5 {
                    return Err(format!("invalid cron schedule '{}': expected 5 fields", p.schedule));
                }
                self.records.crons.insert(
                    p.name.clone(),
                    json!({"name": p.name, "schedule": p.schedule, "image": p.image, "command": p.command, "suspended": false,
                           "last_run": null, "next_run": null, "created_at": ts}),
                );
                Ok(json!({"name": p.name, "schedule": p.schedule, "image": p.image, "success": true}))
            }
            "cron.list" => {
                let crons: Vec<Value> = self
                    .records
                    .crons
                    .values()
                    .map(|c| {
                        json!({"name": c["name"], "schedule": c["schedule"], "image": c["image"], "suspended": c["suspended"],
                               "last_run": c["last_run"], "next_run": c["next_run"], "created_at": c["created_at"]})
                    })
                    .collect();
                Ok(json!({"count": crons.len(), "crons": crons}))
            }
            "cron.trigger" => {
                let p: NameParams = parse(params)?;
                let c = self.records.crons.get(&p.name).ok_or_else(|| not_found("cron job", &p.name))?;
                Ok(
                    json!({"cronName": p.name, "image": c["image"], "jobName": format!("{}-manual-{secs}", p.name), "triggered": true}),
                )
            }
            "cron.suspend" => {
                let p: NameParams = parse(params)?;
                get_mut(&mut self.records.crons, "cron job", &p.name)?.insert("suspended".into(), json!(true));
                Ok(json!({"name": p.name, "suspended": true}))
            }
            "cron.resume" => {
                let p: NameParams = parse(params)?;
                get_mut(&mut self.records.crons, "cron job", &p.name)?.insert("suspended".into(), json!(false));
                Ok(json!({"name": p.name, "resumed": true, "suspended": false}))
            }
            // ── namespaces, labels, taints ───────────────────────
            "namespace.create" => {
                let p: NamespaceCreateParams = parse(params)?;
                if self.records.namespaces.contains_key(&p.name) {
                    return Err(format!("namespace already exists: {}", p.name));
                }
                let q = p.quotas.unwrap_or(NamespaceQuotas { cpu: None, memory: None, gpus: None, storage: None });
                self.records.namespaces.insert(
                    p.name.clone(),
                    json!({"name": p.name, "labels": p.labels.unwrap_or_default(), "created_at": ts,
                           "quotas": {"cpu": q.cpu, "memory_mb": q.memory, "gpus": q.gpus, "storage_gb": q.storage}}),
                );
                Ok(json!({"name": p.name, "success": true}))
            }
            "namespace.set_quota" => {
                let p: NamespaceSetQuotaParams = parse(params)?;
                let ns = get_mut(&mut self.records.namespaces, "namespace", &p.name)?;
                let mut quotas = ns.get("quotas").and_then(Value::as_object).cloned().unwrap_or_default();
                let mut set = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        quotas.insert(k.to_string(), v);
                    }
                };
                set("cpu", p.cpu.map(|x| json!(x)));
                set("memory_mb", p.memory.map(|x| json!(x)));
                set("gpus", p.gpus.map(|x| json!(x)));
                set("storage_gb", p.storage.map(|x| json!(x)));
                ns.insert("quotas".into(), Value::Object(quotas.clone()));
                Ok(json!({"name": p.name, "quotas": quotas, "success": true}))
            }
            "namespace.usage" => {
                let p: NameParams = parse(params)?;
                let ns = self.records.namespaces.get(&p.name).ok_or_else(|| not_found("namespace", &p.name))?;
                Ok(json!({"name": p.name, "labels": ns["labels"], "quotas": ns["quotas"],
                          "usage": {"cpu": 0.0, "gpus": 0, "memory_mb": 0, "storage_gb": 0}}))
            }
            "namespace.list" => {
                let namespaces: Vec<Value> = self.records.namespaces.values().cloned().collect();
                Ok(json!({"count": namespaces.len(), "namespaces": namespaces}))
            }
            "node.label" => {
                let p: NodeLabelParams = parse(params)?;
                self.records.labels.extend(p.labels.clone());
                Ok(json!({"labels": p.labels, "success": true}))
            }
            "node.taint" => {
                let p: NodeTaintParams = parse(params)?;
                if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&p.effect.as_str()) {
                    return Err(format!(
                        "invalid taint effect: {} (expected NoSchedule, PreferNoSchedule or NoExecute)",
                        p.effect
                    ));
                }
                Ok(json!({"key": p.key, "value": p.value, "effect": p.effect, "success": true}))
            }
            // ── volumes and backups ──────────────────────────────
            "volume.create" => {
                let p: VolumeCreateParams = parse(params)?;
                if self.records.volumes.contains_key(&p.name) {
                    return Err(format!("volume already exists: {}", p.name));
                }
                let kind = p.kind.unwrap_or_else(|| "emptydir".to_string());
                let host_path = p.host_path.unwrap_or_else(|| format!("/var/lib/clawnode/volumes/{}", p.name));
                self.records.volumes.insert(
                    p.name.clone(),
                    json!({"name": p.name, "type": kind, "hostPath": host_path, "size": p.size, "state": "available",
                           "boundTo": null, "mountPath": null, "createdAt": ts}),
                );
                Ok(json!({"name": p.name, "type": kind, "state": "available", "success": true}))
            }
            "volume.mount" => {
                let p: VolumeMountParams = parse(params)?;
                let v = get_mut(&mut self.records.volumes, "volume", &p.name)?;
                v.insert("state".into(), json!("bound"));
                v.insert("boundTo".into(), json!(p.container_id));
                v.insert("mountPath".into(), json!(p.mount_path));
                Ok(
                    json!({"name": p.name, "container": p.container_id, "mountPath": p.mount_path, "state": "bound", "success": true}),
                )
            }
            "volume.unmount" => {
                let p: NameParams = parse(params)?;
                let v = get_mut(&mut self.records.volumes, "volume", &p.name)?;
                v.insert("state".into(), json!("available"));
                v.insert("boundTo".into(), Value::Null);
                v.insert("mountPath".into(), Value::Null);
                Ok(json!({"name": p.name, "state": "available", "success": true}))
            }
            "volume.snapshot" => {
                let p: NameParams = parse(params)?;
                self.records.volumes.get(&p.name).ok_or_else(|| not_found("volume", &p.name))?;
                let snap = format!("{}-snap-{secs}", p.name);
                Ok(
                    json!({"name": p.name, "snapshot": snap, "path": format!("/var/lib/clawnode/snapshots/{snap}"), "success": true}),
                )
            }
            "volume.list" => {
                let volumes: Vec<Value> = self.records.volumes.values().cloned().collect();
                Ok(json!({"count": volumes.len(), "volumes": volumes}))
            }
            "volume.delete" => {
                let p: NameParams = parse(params)?;
                self.records.volumes.remove(&p.name).ok_or_else(|| not_found("volume", &p.name))?;
                Ok(json!({"name": p.name, "deleted": true}))
            }
            "backup.create" => {
                let p: BackupCreateParams = parse(params)?;
                let id = format!("backup-{secs}");
                let destination = p.destination.unwrap_or_else(|| format!("/var/lib/clawnode/backups/{id}"));
                self.records.backups.insert(
                    id.clone(),
                    json!({"id": id, "scope": p.scope, "destination": destination, "state": "completed", "createdAt": ts}),
                );
                Ok(
                    json!({"id": id, "scope": p.scope, "destination": destination, "state": "completed", "success": true}),
                )
            }
            "backup.list" => {
                let backups: Vec<Value> = self.records.backups.values().cloned().collect();
                Ok(json!({"count": backups.len(), "backups": backups}))
            }
            "backup.restore" => {
                let p: BackupRestoreParams = parse(params)?;
                let b = self.records.backups.get(&p.id).ok_or_else(|| not_found("backup", &p.id))?;
                Ok(json!({"id": p.id, "scope": field(b, "scope"), "restored": true, "success": true}))
            }
            // ── auth and audit ───────────────────────────────────
            "auth.create_key" => {
                let p: AuthCreateKeyParams = parse(params)?;
                let secret = self.hex(32);
                let key_id = format!("claw-{}", secret.get(..12).unwrap_or(""));
                let role = p.role.unwrap_or_else(|| "viewer".to_string());
                let scopes = p.scopes.unwrap_or_default();
                self.records.keys.insert(
                    key_id.clone(),
                    json!({"keyId": key_id, "name": p.name, "role": role, "scopes": scopes, "active": true, "createdAt": ts, "lastUsed": null}),
                );
                let id = self.uuid();
                self.records.audit.push(json!({
                    "id": id, "timestamp": ts, "actor": "system", "action": "auth.create_key", "resource": "api_key",
                    "resourceId": key_id, "result": "success", "details": format!("role={role}, name={}", p.name),
                }));
                Ok(
                    json!({"keyId": key_id, "name": p.name, "role": role, "scopes": scopes, "secret": secret, "success": true,
                          "note": "Store the secret securely \u{2014} it cannot be retrieved later."}),
                )
            }
            "auth.revoke_key" => {
                let p: AuthRevokeKeyParams = parse(params)?;
                get_mut(&mut self.records.keys, "api key", &p.key_id)?.insert("active".into(), json!(false));
                let id = self.uuid();
                self.records.audit.push(json!({
                    "id": id, "timestamp": ts, "actor": "system", "action": "auth.revoke_key", "resource": "api_key",
                    "resourceId": p.key_id, "result": "success", "details": "revoked",
                }));
                Ok(json!({"keyId": p.key_id, "revoked": true}))
            }
            "auth.list_keys" => {
                let keys: Vec<Value> = self.records.keys.values().cloned().collect();
                Ok(json!({"count": keys.len(), "keys": keys}))
            }
            "audit.query" => {
                let p: AuditQueryParams = parse(params)?;
                let entries: Vec<Value> = self
                    .records
                    .audit
                    .iter()
                    .rev()
                    .filter(|e| p.actor.as_deref().is_none_or(|a| e["actor"] == a))
                    .filter(|e| p.action.as_deref().is_none_or(|a| e["action"] == a))
                    .take(p.limit.unwrap_or(100))
                    .cloned()
                    .collect();
                Ok(json!({"count": entries.len(), "entries": entries}))
            }
            // ── autoscale ────────────────────────────────────────
            "autoscale.create" => {
                let p: AutoscaleCreateParams = parse(params)?;
                let min = p.min_replicas.unwrap_or(1);
                let max = p.max_replicas.unwrap_or(10);
                if min > max {
                    return Err(format!("minReplicas ({min}) must not exceed maxReplicas ({max})"));
                }
                let policy = p.policy_type.unwrap_or_else(|| "target_utilization".to_string());
                self.records.autoscalers.insert(
                    p.name.clone(),
                    json!({"name": p.name, "target": p.target, "minReplicas": min, "maxReplicas": max, "currentReplicas": min,
                           "policyType": policy, "metric": p.metric.unwrap_or_else(|| "gpu_utilization".to_string()),
                           "threshold": p.threshold.unwrap_or(80.0), "state": "active", "createdAt": ts, "updatedAt": ts}),
                );
                Ok(
                    json!({"name": p.name, "target": p.target, "minReplicas": min, "maxReplicas": max, "policyType": policy, "state": "active", "success": true}),
                )
            }
            "autoscale.status" => {
                let p: NameParams = parse(params)?;
                self.records.autoscalers.get(&p.name).cloned().ok_or_else(|| not_found("autoscaler", &p.name))
            }
            "autoscale.adjust" => {
                let p: AutoscaleAdjustParams = parse(params)?;
                let a = get_mut(&mut self.records.autoscalers, "autoscaler", &p.name)?;
                if let Some(r) = p.replicas {
                    a.insert("currentReplicas".into(), json!(r));
                }
                if let Some(r) = p.min_replicas {
                    a.insert("minReplicas".into(), json!(r));
                }
                if let Some(r) = p.max_replicas {
                    a.insert("maxReplicas".into(), json!(r));
                }
                if let Some(e) = p.enabled {
                    a.insert("state".into(), json!(if e { "active" } else { "disabled" }));
                }
                a.insert("updatedAt".into(), json!(ts));
                Ok(json!({"name": p.name, "adjusted": true, "success": true}))
            }
            "autoscale.delete" => {
                let p: NameParams = parse(params)?;
                self.records.autoscalers.remove(&p.name).ok_or_else(|| not_found("autoscaler", &p.name))?;
                Ok(json!({"name": p.name, "deleted": true}))
            }
            // ── policy ───────────────────────────────────────────
            "policy.create" => {
                let p: PolicyCreateParams = parse(params)?;
                if !["resource-limit", "image-whitelist", "label-required", "custom"].contains(&p.kind.as_str()) {
                    return Err(format!("unknown policy type: {}", p.kind));
                }
                let enabled = p.enabled.unwrap_or(true);
                self.records.policies.insert(
                    p.name.clone(),
                    json!({"name": p.name, "type": p.kind, "rules": p.rules.unwrap_or_default(), "enabled": enabled, "created_at": ts}),
                );
                Ok(json!({"name": p.name, "type": p.kind, "enabled": enabled, "success": true}))
            }
            "policy.list" => {
                let policies: Vec<Value> = self
                    .records
                    .policies
                    .values()
                    .map(|p| {
                        let rules = p.get("rules").and_then(Value::as_array).map_or(0, Vec::len);
                        json!({"name": p["name"], "type": p["type"], "enabled": p["enabled"], "rules": rules, "created_at": p["created_at"]})
                    })
                    .collect();
                Ok(json!({"count": policies.len(), "policies": policies}))
            }
            "policy.validate" => {
                let p: PolicyValidateParams = parse(params)?;
                Ok(self.validate_policies(&p.workload_spec))
            }
            other => Err(format!("unknown command: {other}")),
        }
    }

    fn validate_policies(&self, spec: &WorkloadSpecParams) -> Value {
        let mut violations = Vec::new();
        let mut checked = 0;
        for policy in self.records.policies.values().filter(|p| p["enabled"] == true) {
            checked += 1;
            let name = policy["name"].as_str().unwrap_or("");
            let kind = policy["type"].as_str().unwrap_or("");
            let rules = policy.get("rules").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut violate =
                |message: String| violations.push(json!({"policy": name, "rule": kind, "message": message}));
            match kind {
                "image-whitelist" => {
                    if let Some(image) = &spec.image {
                        let allowed = rules
                            .iter()
                            .filter_map(|r| r.get("pattern").and_then(Value::as_str))
                            .any(|pat| image.starts_with(pat));
                        if !allowed {
                            violate(format!("image '{image}' not in whitelist"));
                        }
                    }
                }
                "resource-limit" => {
                    for r in &rules {
                        if let (Some(max), Some(gpus)) = (r.get("maxGpus").and_then(Value::as_u64), spec.gpus) {
                            if gpus > max {
                                violate(format!("gpus {gpus} exceeds limit {max}"));
                            }
                        }
                        if let (Some(max), Some(mem)) = (r.get("maxMemoryMb").and_then(Value::as_u64), spec.memory_mb) {
                            if mem > max {
                                violate(format!("memory {mem}MB exceeds limit {max}MB"));
                            }
                        }
                    }
                }
                "label-required" => {
                    for key in rules.iter().filter_map(|r| r.get("key").and_then(Value::as_str)) {
                        if !spec.labels.as_ref().is_some_and(|l| l.contains_key(key)) {
                            violate(format!("missing required label '{key}'"));
                        }
                    }
                }
                _ => {}
            }
        }
        json!({"valid": violations.is_empty(), "policiesChecked": checked, "violations": violations})
    }
}
