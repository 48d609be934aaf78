//! Containers: `workload.*`, `container.exec` and `node.drain` (camelCase payloads).
//!
//! Mirrors a clawnode that shells out to the docker CLI: `workload.run {gpus: n}` binds
//! devices `0..n-1` whether or not something else holds them (docker does not check), the
//! list is `docker ps -a` (exited containers included), and a missing runtime binary fails
//! every container command with the OS error.

use super::lifecycle::{Phase, Timeline};
use super::{parse, Node};
use crate::clock::{human_duration, rfc3339, rfc3339_secs};
use crate::spec::{Health, ImageSpec, ListShape, WorkloadSpec};
use serde::Deserialize;
use serde_json::{json, Value};

const NO_RUNTIME: &str = "No such file or directory (os error 2)";

/// Docker's container states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    Exited,
    Created,
    Paused,
    Restarting,
    Dead,
}

/// One container on a node.
#[derive(Debug, Clone)]
pub struct Container {
    /// 64 hex characters.
    pub id: String,
    pub name: String,
    pub image: String,
    /// Devices `0..gpus-1` are bound while it runs.
    pub gpus: u32,
    /// Memory limit in MiB (0: none), counted as used RAM while it runs.
    pub memory_mb: u64,
    pub state: State,
    pub exit_code: i32,
    /// When it started (running, paused) or stopped (exited, dead, restarting), ms since the epoch.
    pub since_ms: u64,
    pub created_ms: u64,
    /// When its process last started (`None`: never).
    pub started_ms: Option<u64>,
    pub command: Vec<String>,
    pub env: Vec<String>,
    /// Its healthcheck's verdict while running (`None`: no healthcheck).
    pub health: Option<Health>,
    /// What its image does over time (fleet file `[images]`); `None` once stopped, or for an
    /// image without behaviour.
    pub timeline: Option<Timeline>,
    /// The stdout and stderr lines its image prints at each start, when the image has them.
    pub script: Option<(Vec<String>, Vec<String>)>,
    /// How many times its process has started.
    pub starts: u64,
}

impl Container {
    /// A container from the fleet file, aged as the file says.
    pub fn from_spec(w: &WorkloadSpec, id: String, now_ms: u64) -> Container {
        let state = match w.state.as_str() {
            "exited" => State::Exited,
            "created" => State::Created,
            "paused" => State::Paused,
            "restarting" => State::Restarting,
            "dead" => State::Dead,
            _ => State::Running,
        };
        let since = now_ms.saturating_sub(w.age_secs * 1000);
        Container {
            id,
            name: w.name.clone(),
            image: w.image.clone(),
            gpus: w.gpus,
            memory_mb: w.memory.as_deref().and_then(parse_memory_mb).unwrap_or(0),
            state,
            exit_code: w.exit_code,
            since_ms: since,
            created_ms: since,
            started_ms: (state != State::Created).then_some(since),
            command: vec![],
            env: vec![],
            health: w.health,
            timeline: None,
            script: None,
            starts: u64::from(state != State::Created),
        }
    }

    /// Brings a container with a timeline to where it is at `now_ms`.
    pub fn settle(&mut self, now_ms: u64) {
        let Some(timeline) = self.timeline else { return };
        let moment = timeline.at(now_ms);
        self.starts = moment.starts;
        match moment.phase {
            Phase::Created => self.state = State::Created,
            Phase::Up { since_ms } => {
                self.state = State::Running;
                self.since_ms = since_ms;
                self.started_ms = Some(since_ms);
            }
            Phase::Exited { since_ms } | Phase::Restarting { since_ms } => {
                self.state =
                    if matches!(moment.phase, Phase::Exited { .. }) { State::Exited } else { State::Restarting };
                self.exit_code = timeline.exit_code;
                self.since_ms = since_ms;
                self.started_ms = Some(since_ms.saturating_sub(timeline.run_ms.unwrap_or(0)));
            }
        }
    }

    /// Running and paused containers keep their GPUs and memory.
    pub fn holds_gpus(&self) -> bool {
        matches!(self.state, State::Running | State::Paused)
    }

    /// The 12-character id `docker ps` prints.
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    /// Docker's `STATUS` column.
    pub fn status_text(&self, now_ms: u64) -> String {
        let age = human_duration(now_ms.saturating_sub(self.since_ms) / 1000);
        match self.state {
            State::Running => match self.health {
                Some(h) => format!("Up {age} ({})", h.status_suffix()),
                None => format!("Up {age}"),
            },
            State::Paused => format!("Up {age} (Paused)"),
            State::Exited => format!("Exited ({}) {age} ago", self.exit_code),
            State::Restarting => format!("Restarting ({}) {age} ago", self.exit_code),
            State::Created => "Created".to_string(),
            State::Dead => "Dead".to_string(),
        }
    }

    fn docker_state(&self) -> &'static str {
        match self.state {
            State::Running => "running",
            State::Exited => "exited",
            State::Created => "created",
            State::Paused => "paused",
            State::Restarting => "restarting",
            State::Dead => "dead",
        }
    }

    /// clawnode's docker-feature state word (`runtime.rs` `ContainerState`, snake_case): Docker's
    /// `created` is `creating`, `dead` and `restarting` are `failed` (clawnode `docker.rs`
    /// `convert_state`, claw-compute's docker state mapping).
    fn sdk_state(&self) -> &'static str {
        match self.state {
            State::Running => "running",
            State::Paused => "paused",
            State::Created => "creating",
            State::Exited => "exited",
            State::Dead | State::Restarting => "failed",
        }
    }

    /// What `docker logs [--tail N]` prints for it: (stdout, stderr). An image with log lines
    /// prints them at each start, and `tail` counts lines of both streams together, as Docker's
    /// log file does.
    fn logs(&self, tail: Option<u32>) -> (String, String) {
        let mut lines: Vec<(bool, String)> = match &self.script {
            _ if self.starts == 0 => Vec::new(),
            Some((out, err)) => {
                let once: Vec<(bool, String)> =
                    out.iter().map(|l| (false, l.clone())).chain(err.iter().map(|l| (true, l.clone()))).collect();
                let starts = usize::try_from(self.starts).unwrap_or(usize::MAX).min(10_000);
                once.iter().cycle().take(once.len() * starts).cloned().collect()
            }
            None => self.default_logs().lines().map(|l| (false, l.to_string())).collect(),
        };
        if let Some(t) = tail {
            let keep = (t as usize).min(lines.len());
            lines.drain(..lines.len() - keep);
        }
        let stream = |stderr: bool| {
            lines.iter().filter(|(e, _)| *e == stderr).map(|(_, l)| format!("{l}\n")).collect::<String>()
        };
        (stream(false), stream(true))
    }

    /// What an image without log lines prints.
    fn default_logs(&self) -> String {
        let mut out = format!("starting {} on {} GPU(s)\n", self.image, self.gpus);
        if !self.command.is_empty() {
            out.push_str(&format!("+ {}\n", self.command.join(" ")));
        }
        for step in 1..=5 {
            out.push_str(&format!("step {step}/5 ok\n"));
        }
        if self.state == State::Exited {
            out.push_str(&format!("exited with code {}\n", self.exit_code));
        }
        out
    }
}

/// `8g`, `512m`, `1024k`, `2t`, or bytes → MiB. `None` when docker would refuse it.
pub fn parse_memory_mb(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (t.get(..i)?, Some(c)),
        _ => (t, None),
    };
    let n: f64 = digits.parse().ok().filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let bytes = match unit {
        Some('k') => n * 1024.0,
        Some('m') => n * 1024.0 * 1024.0,
        Some('g') => n * 1024.0 * 1024.0 * 1024.0,
        Some('t') => n * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        None => n,
        Some(_) => return None,
    };
    Some((bytes / (1024.0 * 1024.0)).floor() as u64)
}

/// Docker's reference check, simplified: lowercase repository, no spaces, non-empty.
fn valid_image(image: &str) -> bool {
    let repo = image.split(['@']).next().unwrap_or("");
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    !repo.is_empty()
        && repo.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c))
        && !image.chars().any(char::is_whitespace)
}

const ADJECTIVES: [&str; 8] = ["quirky", "brave", "eager", "focused", "jolly", "nifty", "sharp", "vibrant"];
const SURNAMES: [&str; 8] = ["turing", "hopper", "lovelace", "curie", "noether", "ritchie", "shannon", "tesla"];

#[derive(Deserialize)]
#[allow(dead_code)] // volumes, detach and cpu are read only to reject wrong types, like clawnode
struct WorkloadRunParams {
    image: String,
    name: Option<String>,
    gpus: Option<u32>,
    command: Option<Vec<String>>,
    env: Option<Vec<String>>,
    volumes: Option<Vec<String>>,
    detach: Option<bool>,
    memory: Option<String>,
    cpu: Option<f32>,
    #[serde(rename = "shmSize")]
    shm_size: Option<String>,
}

#[derive(Deserialize)]
struct WorkloadStopParams {
    #[serde(rename = "containerId")]
    container_id: Option<String>,
    name: Option<String>,
    force: Option<bool>,
}

#[derive(Deserialize)]
#[allow(dead_code)] // follow is accepted and ignored, like clawnode
struct WorkloadLogsParams {
    #[serde(rename = "containerId")]
    container_id: Option<String>,
    name: Option<String>,
    tail: Option<u32>,
    follow: Option<bool>,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)]
struct WorkloadListParams {
    all: Option<bool>,
}

#[derive(Deserialize)]
struct WorkloadInspectParams {
    #[serde(rename = "containerId")]
    container_id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct WorkloadStatsParams {
    #[serde(rename = "containerId")]
    container_id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct ContainerExecParams {
    #[serde(rename = "containerId")]
    container_id: Option<String>,
    name: Option<String>,
    command: Vec<String>,
    workdir: Option<String>,
}

#[derive(Deserialize)]
struct NodeDrainParams {
    #[serde(rename = "gracePeriod")]
    grace_period: Option<u64>,
}

fn target(container_id: Option<String>, name: Option<String>) -> Result<String, String> {
    container_id.or(name).ok_or_else(|| "containerId or name required".to_string())
}

fn no_such_container(target: &str) -> String {
    format!("Error response from daemon: No such container: {target}\n")
}

impl Node {
    /// Index of the container a docker CLI argument names (full id, unique id prefix, or name).
    /// The container `target` names (id, id prefix or name).
    fn container(&self, target: &str) -> Option<&Container> {
        self.find(target).and_then(|i| self.containers.get(i))
    }

    fn find(&self, target: &str) -> Option<usize> {
        if target.is_empty() {
            return None;
        }
        if let Some(i) = self.containers.iter().position(|c| c.id == target || c.name == target) {
            return Some(i);
        }
        let matches: Vec<usize> = (0..self.containers.len())
            .filter(|&i| self.containers.get(i).is_some_and(|c| c.id.starts_with(target)))
            .collect();
        match matches.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    pub(super) fn container_command(&mut self, command: &str, params: Value, now: u64) -> Result<Value, String> {
        match command {
            "workload.run" => self.workload_run(params, now),
            "workload.stop" => self.workload_stop(params, now),
            "workload.logs" => self.workload_logs(params),
            "workload.list" => self.workload_list(params, now),
            "workload.inspect" => self.workload_inspect(params),
            "workload.stats" => self.workload_stats(params),
            "container.exec" => self.container_exec(params),
            other => Err(format!("unknown command: {other}")),
        }
    }

    fn workload_run(&mut self, params: Value, now: u64) -> Result<Value, String> {
        let p: WorkloadRunParams = parse(params)?;
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        let fail = |stderr: String| Err(format!("container run failed: {stderr}"));
        if !valid_image(&p.image) {
            return fail("docker: invalid reference format.\nSee 'docker run --help'.\n".to_string());
        }
        let memory_mb = match &p.memory {
            Some(m) => match parse_memory_mb(m) {
                Some(mb) => mb,
                None => return fail(format!("invalid argument \"{m}\" for \"-m, --memory\" flag: invalid size: '{m}'\nSee 'docker run --help'.\n")),
            },
            None => 0,
        };
        if let Some(name) = &p.name {
            if let Some(existing) = self.containers.iter().find(|c| &c.name == name) {
                return fail(format!(
                    "docker: Error response from daemon: Conflict. The container name \"/{name}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.\n",
                    existing.id
                ));
            }
        }
        let gpus = p.gpus.unwrap_or(0);
        if gpus > 0 && self.gpus.is_empty() {
            return fail(
                "docker: Error response from daemon: could not select device driver \"\" with capabilities: [[gpu]].\n"
                    .to_string(),
            );
        }
        if gpus as usize > self.gpus.len() {
            return fail(format!(
                "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error running hook #0: error running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\nnvidia-container-cli: device error: {}: unknown device: unknown.\n",
                self.gpus.len()
            ));
        }
        let id = self.container_id();
        let workload_id = self.uuid();
        let generated = {
            let a = usize::from(rand::Rng::gen::<u8>(&mut self.rng)) % ADJECTIVES.len();
            let a = ADJECTIVES.get(a).copied().unwrap_or("quirky");
            let i = usize::from(rand::Rng::gen::<u8>(&mut self.rng)) % SURNAMES.len();
            format!("{a}_{}", SURNAMES.get(i).copied().unwrap_or("turing"))
        };
        let behaviour: Option<ImageSpec> = self.images.get(&p.image).cloned();
        let mut container = Container {
            id: id.clone(),
            name: p.name.clone().unwrap_or(generated),
            image: p.image.clone(),
            gpus,
            memory_mb,
            state: State::Running,
            exit_code: 0,
            since_ms: now,
            created_ms: now,
            started_ms: Some(now),
            command: p.command.unwrap_or_default(),
            env: p.env.unwrap_or_default(),
            health: behaviour.as_ref().and_then(|b| b.health),
            timeline: behaviour.as_ref().map(|b| Timeline {
                start_ms: now.saturating_add((b.start_secs * 1000.0).round() as u64),
                run_ms: b.exit_code.map(|_| b.exit_after_ms),
                exit_code: b.exit_code.unwrap_or(0),
                restart: b.restart,
            }),
            script: behaviour
                .as_ref()
                .filter(|b| !b.log.is_empty() || !b.stderr.is_empty())
                .map(|b| (b.log.clone(), b.stderr.clone())),
            starts: 1,
        };
        container.settle(now);
        self.containers.insert(0, container);
        Ok(json!({
            "containerId": id,
            "workloadId": workload_id,
            "image": p.image,
            "name": p.name,
            "success": true,
            "runtime": "cli",
        }))
    }

    fn workload_stop(&mut self, params: Value, now: u64) -> Result<Value, String> {
        let p: WorkloadStopParams = parse(params)?;
        let target = target(p.container_id, p.name)?;
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        let force = p.force.unwrap_or(false);
        let i = self.find(&target).ok_or_else(|| format!("stop failed: {}", no_such_container(&target)))?;
        if let Some(c) = self.containers.get_mut(i) {
            c.timeline = None;
            if matches!(c.state, State::Running | State::Paused | State::Restarting) {
                c.state = State::Exited;
                c.exit_code = if force { 137 } else { 143 };
                c.since_ms = now;
            }
        }
        Ok(json!({"stopped": target, "success": true, "runtime": "cli"}))
    }

    fn workload_logs(&mut self, params: Value) -> Result<Value, String> {
        let p: WorkloadLogsParams = parse(params)?;
        let target = target(p.container_id, p.name)?;
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        let (logs, stderr) = match self.container(&target) {
            Some(c) => c.logs(p.tail),
            None => (String::new(), no_such_container(&target)),
        };
        Ok(json!({"logs": logs, "stderr": stderr, "container": target, "runtime": "cli"}))
    }

    fn workload_list(&mut self, params: Value, now: u64) -> Result<Value, String> {
        let _p: WorkloadListParams = parse(params).unwrap_or_default();
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        if self.spec.workload_list_shape == ListShape::Sdk {
            let workloads: Vec<Value> = self
                .containers
                .iter()
                .map(|c| {
                    json!({
                        "containerId": c.id,
                        "image": c.image,
                        "state": c.sdk_state(),
                        "gpus": [],
                        "createdAt": rfc3339_secs(c.created_ms),
                        "labels": {},
                        "workloadId": null,
                    })
                })
                .collect();
            return Ok(json!({"count": workloads.len(), "workloads": workloads, "runtime": "docker-sdk"}));
        }
        let workloads: Vec<Value> = self
            .containers
            .iter()
            .map(|c| json!({"containerId": c.short_id(), "image": c.image, "status": c.status_text(now), "name": c.name}))
            .collect();
        Ok(json!({"count": workloads.len(), "workloads": workloads, "runtime": "cli"}))
    }

    fn workload_inspect(&mut self, params: Value) -> Result<Value, String> {
        let p: WorkloadInspectParams = parse(params)?;
        let target = target(p.container_id, p.name)?;
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        let c = self.container(&target).ok_or_else(|| format!("inspect failed: Error: No such object: {target}\n"))?;
        let device_ids: Vec<String> = (0..c.gpus).map(|i| i.to_string()).collect();
        const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
        let finished = if matches!(c.state, State::Exited | State::Dead | State::Restarting) {
            rfc3339(c.since_ms)
        } else {
            ZERO_TIME.to_string()
        };
        let started = c.started_ms.map_or_else(|| ZERO_TIME.to_string(), rfc3339);
        let mut state = json!({
            "Status": c.docker_state(),
            "Running": matches!(c.state, State::Running | State::Paused | State::Restarting),
            "Paused": c.state == State::Paused,
            "Restarting": c.state == State::Restarting,
            "Dead": c.state == State::Dead,
            "ExitCode": c.exit_code,
            "StartedAt": started,
            "FinishedAt": finished,
        });
        if let (Some(h), Some(obj)) = (c.health, state.as_object_mut()) {
            let streak = if h == Health::Unhealthy { 3 } else { 0 };
            obj.insert("Health".to_string(), json!({"Status": h.as_str(), "FailingStreak": streak, "Log": []}));
        }
        Ok(json!({
            "containerId": target,
            "inspect": {
                "Id": c.id,
                "Created": rfc3339(c.created_ms),
                "Name": format!("/{}", c.name),
                "RestartCount": c.starts.saturating_sub(1),
                "State": state,
                "Config": {
                    "Image": c.image,
                    "Cmd": c.command,
                    "Env": c.env,
                    "Labels": {"managed-by": "clawbernetes"},
                },
                "HostConfig": {
                    "Memory": c.memory_mb * 1024 * 1024,
                    "DeviceRequests": if c.gpus > 0 { json!([{"Driver": "", "DeviceIDs": device_ids, "Capabilities": [["gpu"]]}]) } else { Value::Null },
                },
            },
            "runtime": "cli",
        }))
    }

    fn workload_stats(&mut self, params: Value) -> Result<Value, String> {
        let p: WorkloadStatsParams = parse(params)?;
        let target = target(p.container_id, p.name)?;
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        let c = self.container(&target).ok_or_else(|| format!("stats failed: {}", no_such_container(&target)))?;
        let running = c.state == State::Running;
        let limit_gib = if c.memory_mb > 0 { c.memory_mb as f64 / 1024.0 } else { self.spec.memory_mb as f64 / 1024.0 };
        Ok(json!({
            "container": target,
            "stats": {
                "BlockIO": if running { "1.2GB / 340MB" } else { "0B / 0B" },
                "CPUPerc": if running { format!("{:.2}%", 100.0 + 50.0 * f64::from(c.gpus)) } else { "0.00%".to_string() },
                "Container": target,
                "ID": c.short_id(),
                "MemPerc": if running { "12.50%" } else { "0.00%" },
                "MemUsage": if running { format!("{:.1}GiB / {limit_gib:.0}GiB", limit_gib / 8.0) } else { format!("0B / {limit_gib:.0}GiB") },
                "Name": c.name,
                "NetIO": if running { "15.3MB / 2.1MB" } else { "0B / 0B" },
                "PIDs": if running { "42" } else { "0" },
            },
        }))
    }

    fn container_exec(&mut self, params: Value) -> Result<Value, String> {
        let p: ContainerExecParams = parse(params)?;
        let target = target(p.container_id, p.name)?;
        if !self.has_runtime() {
            return Err(NO_RUNTIME.to_string());
        }
        let running = self.container(&target).map(|c| c.state == State::Running);
        let (code, stdout, stderr) = match running {
            None => (1, String::new(), no_such_container(&target)),
            Some(false) => {
                (1, String::new(), format!("Error response from daemon: container {target} is not running\n"))
            }
            Some(true) => match p.command.split_first() {
                Some((prog, args)) if prog == "echo" => (0, format!("{}\n", args.join(" ")), String::new()),
                Some(_) => (0, String::new(), String::new()),
                None => (1, String::new(), "no command given\n".to_string()),
            },
        };
        Ok(json!({"exitCode": code, "stdout": stdout, "stderr": stderr, "success": code == 0}))
    }

    /// Stops every container `docker ps` lists (running, paused, restarting), like `node.drain`.
    pub(super) fn node_drain(&mut self, params: Value, now: u64) -> Result<Value, String> {
        let p: NodeDrainParams = parse(params)?;
        let mut stopped = 0;
        for c in
            self.containers.iter_mut().filter(|c| matches!(c.state, State::Running | State::Paused | State::Restarting))
        {
            c.timeline = None;
            c.state = State::Exited;
            c.exit_code = 143;
            c.since_ms = now;
            stopped += 1;
        }
        Ok(json!({"drained": true, "grace_period": p.grace_period.unwrap_or(30), "stopped_workloads": stopped}))
    }
}
