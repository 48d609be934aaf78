//! `claw_deploy`: filter → score → explain → run → confirm. A request no node can host is an
//! answer (`placed: false` with every rejected node and its reasons), not an error; only bad
//! arguments and a fleet with no usable clawnode fail the call.

mod confirm;

use super::args::{Args, Def, Kind, Param};
use super::{fleet, no_nodes, select_one, Reply};
use crate::error::{invalid, Error};
use crate::io::fanout::Session;
use crate::io::host::Host;
use crate::io::probe::Needs;
use crate::node::workload;
use crate::placement::{self, Candidate, Plan, Rejection, Request, Strategy};
use crate::plugin::Plugin;
use crate::redact;
use crate::runargs;
use crate::summary::{cut, Text};
pub use confirm::{Confirmation, Outcome};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Most GPUs one workload may ask for.
pub const MAX_GPUS: u64 = 16;
/// The least time `workload.run` is given: clawnode pulls a missing image inside it, and a
/// pull takes minutes (the node answers nothing else meanwhile).
pub const RUN_TIMEOUT_MS: u64 = 300_000;

/// The tool.
pub const DEF: Def = Def {
    name: "claw_deploy",
    label: "Deploy workload",
    description: "Place a container on the best clawnode, run it and confirm it started. Every resource asked for \
                  is a filter (GPUs free — docker binds GPUs 0..gpus-1, podman every GPU —, memory + 10%, CPUs, 10 GB \
                  disk for images, GPU model, VRAM); feasible nodes are scored (binpack or spread); the best runs \
                  workload.run and the next is tried if it refuses. Then the container is watched for deploy.confirmMs: \
                  running, exited (with exit code and last log lines), restarting, or still starting. When no node \
                  can host it the answer is placed: false with every node's reasons. Use dryRun to plan only.",
    params: &[
        Param::req(
            "image",
            Kind::Text { max: 255, pattern: None },
            "Container image, e.g. pytorch/pytorch:2.0 or nvcr.io/nvidia/pytorch:24.01-py3",
        ),
        Param::opt("gpus", Kind::Int { min: 0, max: MAX_GPUS }, "GPUs (default 1; 0 for none)"),
        Param::opt(
            "memory",
            Kind::Text { max: 32, pattern: None },
            "Memory limit as Docker reads it, e.g. 32g, 8GB, 512m, 16GiB, 1.5g (0: no limit)",
        ),
        Param::opt("cpu", Kind::Number { min: 0.01, max: 1024.0 }, "CPUs (docker --cpus, at least 0.01), e.g. 8 or 0.5"),
        Param::opt(
            "env",
            Kind::Env,
            "Environment, e.g. {\"EPOCHS\": \"3\", \"discovery.type\": \"single-node\"} or [\"EPOCHS=3\"]",
        ),
        Param::opt("command", Kind::Argv { max: 256 }, "Command as an array, e.g. [\"python\", \"train.py\"]"),
        Param::opt(
            "name",
            Kind::Text { max: 255, pattern: Some("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$") },
            "Container name, e.g. train-1",
        ),
        Param::opt("volumes", Kind::Strings { max: 64 }, "Mounts host:container[:ro], e.g. [\"/data:/data:ro\"]"),
        Param::opt("shmSize", Kind::Text { max: 32, pattern: None }, "Shared memory size as Docker reads it, e.g. 16g"),
        Param::opt("gpuModel", Kind::Text { max: 128, pattern: None }, "Part of the required GPU model name, e.g. A100"),
        Param::opt("minVramMb", Kind::Int { min: 1, max: 10_000_000 }, "Least VRAM per GPU in MB, e.g. 40000"),
        Param::opt(
            "preferNode",
            Kind::Text { max: 256, pattern: None },
            "Node to use when it can host the workload: its id, or a display name only one node has",
        ),
        Param::opt("strategy", Kind::OneOf(&["binpack", "spread"]), "binpack (default) fills nodes up; spread prefers the most free capacity"),
        Param::opt("dryRun", Kind::Bool, "Plan only; run nothing"),
    ],
};

/// One try to run the workload on a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Whether `workload.run` started a container there.
    pub ok: bool,
    /// Why not.
    pub error: Option<String>,
}

/// The deploy result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    /// Planned only (dryRun, or the plugin is read-only).
    pub dry_run: bool,
    /// A node ran `workload.run` and returned a container.
    pub placed: bool,
    /// Whether the container was seen running (`None`: not confirmed, or still starting).
    pub started: Option<bool>,
    /// Node id.
    pub node_id: Option<String>,
    /// Display name.
    pub node_name: Option<String>,
    /// The node's workload id.
    pub workload_id: Option<String>,
    /// Container id.
    pub container_id: Option<String>,
    /// Container name.
    pub name: Option<String>,
    /// GPU indices bound on the chosen (or best) node.
    pub gpus: Vec<u32>,
    /// Ranking used.
    pub strategy: Strategy,
    /// The `workload.run` params sent (or that would be sent), the values of env names that
    /// look like credentials redacted.
    pub run_params: Value,
    /// What the watch of the new container saw.
    pub confirmation: Option<Confirmation>,
    /// Feasible nodes, best first.
    pub candidates: Vec<Candidate>,
    /// Infeasible nodes with every reason.
    pub rejected: Vec<Rejection>,
    /// Every `workload.run` tried.
    pub attempts: Vec<Attempt>,
    /// The node whose `workload.run` got no answer (timed out, disconnected): it may still start
    /// the container, so no other node was tried.
    pub unanswered_node: Option<String>,
    /// Why `preferNode` could not host the request, when it was given and could not.
    pub prefer_node_rejected: Option<Vec<String>>,
}

/// The `workload.run` params as results show them: the values of env names that look like
/// credentials (`POSTGRES_PASSWORD`, `HF_TOKEN`) and the passwords of URLs in env values and
/// command arguments replaced by `[redacted]` — the node gets the real ones.
fn shown(send: &Value) -> Value {
    let mut v = send.clone();
    for key in ["env", "command"] {
        let Some(Value::Array(items)) = v.get_mut(key) else { continue };
        for item in items.iter_mut() {
            let Some(text) = item.as_str() else { continue };
            let hidden = match text.split_once('=') {
                Some((k, _)) if key == "env" && redact::is_secret_key(k) => format!("{k}=[redacted]"),
                _ => redact::url_passwords(text),
            };
            *item = Value::String(hidden);
        }
    }
    v
}

/// Checked arguments: the placement request, the `workload.run` params, and dry run.
pub fn parse(args: &Value) -> Result<(Request, Value, bool), Error> {
    let a = Args::of(args, &DEF)?;
    let image = a.text("image").unwrap_or_default();
    runargs::image(image)?;
    let gpus = a.int("gpus").unwrap_or(1) as u32;
    let mut run = Map::new();
    run.insert("image".into(), json!(image));
    if gpus > 0 {
        run.insert("gpus".into(), json!(gpus));
    }
    let memory_mb = match a.text("memory") {
        Some(m) => {
            let (bytes, plain) = runargs::size("memory", m)?;
            let mb = bytes / 1024.0 / 1024.0;
            if bytes > 0.0 && mb < runargs::MIN_MEMORY_MB {
                return Err(invalid(format!("memory {m:?} is below Docker's minimum of 6m (0 means no limit)")));
            }
            run.insert("memory".into(), json!(plain));
            Some(mb).filter(|mb| *mb > 0.0)
        }
        None => None,
    };
    let cpu = a.number("cpu");
    if let Some(c) = cpu {
        run.insert("cpu".into(), json!(c));
    }
    if let Some(env) = a.raw("env") {
        run.insert("env".into(), json!(runargs::env(env)?));
    }
    if let Some(cmd) = a.strings("command") {
        if cmd.is_empty() {
            return Err(invalid("command must hold at least one string; omit it to use the image's default"));
        }
        run.insert("command".into(), json!(cmd));
    }
    if let Some(name) = a.text("name") {
        runargs::container_name(name)?;
        run.insert("name".into(), json!(name));
    }
    if let Some(vols) = a.strings("volumes") {
        for v in &vols {
            runargs::volume(v)?;
        }
        run.insert("volumes".into(), json!(vols));
    }
    if let Some(shm) = a.text("shmSize") {
        run.insert("shmSize".into(), json!(runargs::size("shmSize", shm)?.1));
    }
    if gpus == 0 {
        if let Some(key) = ["gpuModel", "minVramMb"].into_iter().find(|k| a.raw(k).is_some_and(|v| !v.is_null())) {
            return Err(invalid(format!(
                "{key} applies to the GPUs asked for, and gpus is 0: ask for gpus too, or leave {key} out"
            )));
        }
    }
    let req = Request {
        gpus,
        memory_mb,
        cpu,
        gpu_model: a.text("gpuModel").map(str::to_owned),
        min_vram_mb: a.int("minVramMb").map(|n| n as f64),
        prefer_node: a.text("preferNode").map(str::to_owned),
        strategy: if a.text("strategy") == Some("spread") { Strategy::Spread } else { Strategy::Binpack },
        plan_only: false,
    };
    Ok((req, Value::Object(run), a.flag("dryRun")))
}

/// Runs the tool.
pub async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Reply<Deployed>, Error> {
    let (mut req, send, dry_run) = parse(args)?;
    let run_params = shown(&send);
    let dry_run = dry_run || p.config.read_only;
    req.plan_only = p.config.read_only;
    let f = fleet(p, host).await?;
    if f.usable.is_empty() {
        return Err(no_nodes(&f));
    }
    if let Some(k) = &req.prefer_node {
        req.prefer_node = Some(select_one(&f, k, "preferNode")?.id.clone());
    }
    // The whole check, whatever the request: a node's verdict does not depend on what was asked.
    let (checked, _) = p.check(host, &f.usable, Needs::ALL).await;
    let Plan { candidates, mut rejected } = placement::plan(&checked, &req);
    // the clawnodes it could not ask (connected but unusable, or offline) go through placement
    // too, which rejects them by their state, after the others: it never hides a node
    rejected.extend(placement::plan(&p.unusable_checked(f.unusable), &req).rejected);
    let mut d = Deployed {
        dry_run,
        placed: false,
        started: None,
        node_id: None,
        node_name: None,
        workload_id: None,
        container_id: None,
        name: None,
        gpus: candidates.first().map(|c| c.gpus.clone()).unwrap_or_default(),
        strategy: req.strategy,
        run_params,
        confirmation: None,
        prefer_node_rejected: req
            .prefer_node
            .as_deref()
            .and_then(|id| rejected.iter().find(|r| r.node_id == id))
            .map(|r| r.reasons.clone()),
        candidates,
        rejected,
        attempts: Vec::new(),
        unanswered_node: None,
    };
    if dry_run || d.candidates.is_empty() {
        return Ok(Reply { text: text(&d, p.config.read_only, f.usable.len()), details: d });
    }
    for c in d.candidates.clone() {
        let Some(node) = f.usable.iter().find(|n| n.id == c.node_id) else { continue };
        // A later candidate's GPUs may have gone to another deploy since the plan.
        let taken = c.gpus.iter().find(|g| p.holds.borrow().holder(&node.id, **g).is_some()).copied();
        if let Some(g) = taken {
            let error = format!("GPU {g} went to another deploy after the plan");
            d.attempts.push(Attempt {
                node_id: node.id.clone(),
                node_name: node.name.clone(),
                ok: false,
                error: Some(error),
            });
            continue;
        }
        let session = Session::new(host, node, &p.limiter, p.config.invoke_timeout_ms.max(RUN_TIMEOUT_MS));
        // Reserved before anything is awaited after the plan: a deploy planning meanwhile sees
        // these GPUs held, so two deploys at once never get the same GPU.
        let asked_name = send.get("name").and_then(Value::as_str).unwrap_or_default();
        let placeholder = p.holds.borrow_mut().reserve(&node.id, asked_name, &c.gpus, host.now_ms());
        let result = session.call("workload.run", &send).await.and_then(|v| workload::parse_run(&v));
        match result {
            Ok(started) => {
                let name = if asked_name.is_empty() { started.name.clone() } else { asked_name.to_owned() };
                p.holds.borrow_mut().confirm(&node.id, &placeholder, &started.container_id, &name, host.now_ms());
                p.save_holds(host).await;
                d.attempts.push(Attempt {
                    node_id: node.id.clone(),
                    node_name: node.name.clone(),
                    ok: true,
                    error: None,
                });
                d.placed = true;
                d.gpus = c.gpus.clone();
                d.node_id = Some(node.id.clone());
                d.node_name = Some(node.name.clone());
                d.workload_id = Some(started.workload_id).filter(|s| !s.is_empty());
                d.container_id = Some(started.container_id.clone());
                d.name = Some(name).filter(|s| !s.is_empty());
                if p.config.deploy.confirm_ms > 0 {
                    let seen = confirm::watch(p, host, node, &started.container_id, &session).await;
                    d.started = seen.outcome.started();
                    if matches!(seen.outcome, Outcome::Exited | Outcome::Completed) {
                        p.holds.borrow_mut().release(&node.id, &started.container_id);
                        p.save_holds(host).await;
                    }
                    d.confirmation = Some(seen);
                }
                return Ok(Reply { text: text(&d, false, f.usable.len()), details: d });
            }
            Err(e) => {
                // A node that gave no answer may still start the container: its GPUs stay
                // reserved until its workload.list says otherwise (holds::STARTING_MAX_MS).
                if session.silent().is_none() {
                    p.holds.borrow_mut().release(&node.id, &placeholder);
                }
                d.attempts.push(Attempt {
                    node_id: node.id.clone(),
                    node_name: node.name.clone(),
                    ok: false,
                    error: Some(e),
                });
                // A node that gave no answer may still start the container (docker run pulls the
                // image first): trying the next node could start it twice.
                if session.silent().is_some() {
                    d.unanswered_node = Some(node.name.clone());
                    break;
                }
                if host.cancelled() {
                    break;
                }
            }
        }
    }
    Ok(Reply { text: text(&d, false, f.usable.len()), details: d })
}

fn gpu_list(gpus: &[u32]) -> String {
    match gpus {
        [] => "no GPUs".to_owned(),
        [one] => format!("GPU {one}"),
        [first, .., last] => format!("GPUs {first}..{last}"),
    }
}

/// The summary: the outcome or the reason first, then candidates and rejections.
fn text(d: &Deployed, read_only: bool, nodes: usize) -> String {
    let mut t = Text::new();
    let image = d.run_params.get("image").and_then(Value::as_str).unwrap_or("?");
    let node = d.node_name.as_deref().unwrap_or("?");
    let gpus = gpu_list(&d.gpus);
    match (&d.confirmation, d.placed) {
        (Some(c), true) => t.line(format!(
            "{} {image} on {node} ({gpus}), container {}: {}",
            if c.outcome.started() == Some(false) { "Deploy failed:" } else { "Deployed" },
            d.container_id.as_deref().unwrap_or("?"),
            c.summary()
        )),
        (None, true) => t.line(format!(
            "Deployed {image} on {node} ({gpus}): container {}, workload {} (not watched: deploy.confirmMs is 0).",
            d.container_id.as_deref().unwrap_or("?"),
            d.workload_id.as_deref().unwrap_or("?"),
        )),
        (_, false) if d.unanswered_node.is_some() => {
            let last = d.attempts.last().and_then(|a| a.error.as_deref()).unwrap_or("?");
            let n = d.unanswered_node.as_deref().unwrap_or("?");
            t.line(format!(
                "Not known whether {image} started: {n} did not answer workload.run ({last}). No other node was tried, \
                 since {n} may still start it (docker run pulls the image first): look with claw_workloads before \
                 deploying again."
            ));
        }
        (_, false) if !d.attempts.is_empty() => {
            let tried: Vec<String> =
                d.attempts.iter().map(|a| format!("{}: {}", a.node_name, a.error.as_deref().unwrap_or("?"))).collect();
            t.line(format!("Not deployed: every candidate node refused {image}: {}", cut(&tried.join("; "), 1500)));
        }
        (_, false) if d.candidates.is_empty() => {
            let first: Vec<String> =
                d.rejected.iter().take(3).map(|r| format!("{}: {}", r.node_name, r.reasons.join("; "))).collect();
            t.line(format!(
                "Not placed: no node can host {image} ({nodes} clawnode(s) checked) — {}",
                cut(&first.join(" | "), 900)
            ));
        }
        (_, false) => {
            let best = d.candidates.first().map_or("?", |c| c.node_name.as_str());
            let why = if read_only { "read-only mode: planned, nothing run" } else { "dry run: nothing run" };
            t.line(format!("Plan ({why}): {best} would run {image} ({gpus}, {}).", d.strategy.as_str()));
        }
    }
    if let Some(why) = &d.prefer_node_rejected {
        t.line(format!("preferNode cannot host it: {}", why.join("; ")));
    }
    t.list("Failed attempts:", d.attempts.iter().filter(|a| !a.ok), |a| {
        format!("{}: {}", a.node_name, a.error.as_deref().unwrap_or("?"))
    });
    t.list(format!("Candidates ({}), best first:", d.candidates.len()), d.candidates.iter(), |c| {
        format!("{} score {:.2}{}", c.node_name, c.score, if c.preferred { " (preferred)" } else { "" })
    });
    t.list(format!("Rejected ({}):", d.rejected.len()), d.rejected.iter(), |r| {
        format!("{}: {}", r.node_name, r.reasons.join("; "))
    });
    t.finish()
}
