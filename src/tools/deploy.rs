//! `claw_deploy`: filter → score → explain → run, falling back to the next candidate when a
//! node refuses.

use super::{probe_all, Output};
use crate::args::{self, Args};
use crate::fanout::Session;
use crate::fleet::probe::Needs;
use crate::host::Host;
use crate::node::workload;
use crate::placement::{self, Candidate, Plan, Request, Strategy};
use crate::plugin::Plugin;
use crate::schema::accepted;
use crate::summary::Text;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// One try to run the workload on a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Attempt {
    node_id: String,
    node_name: String,
    ok: bool,
    error: Option<String>,
}

/// The deploy result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Deployed {
    dry_run: bool,
    placed: bool,
    node_id: Option<String>,
    node_name: Option<String>,
    workload_id: Option<String>,
    container_id: Option<String>,
    name: Option<String>,
    gpus: Vec<u32>,
    strategy: Strategy,
    /// The `workload.run` params sent (or that would be sent).
    run_params: Value,
    candidates: Vec<Candidate>,
    rejected: Vec<placement::Rejection>,
    attempts: Vec<Attempt>,
}

/// Checked arguments: the placement request and the `workload.run` params.
fn parse(args: &Value) -> Result<(Request, Value, bool), String> {
    let a = Args::of(args, accepted("claw_deploy"))?;
    let image = a.required_text("image", 255)?;
    args::image(image)?;
    let gpus = a.whole("gpus", 0, args::MAX_GPUS)?.unwrap_or(1) as u32;
    let mut run = Map::new();
    run.insert("image".into(), json!(image));
    if gpus > 0 {
        run.insert("gpus".into(), json!(gpus));
    }
    let memory_mb = match a.text("memory", 32)? {
        Some(m) => {
            let mb = args::memory_mb("memory", m)?;
            if mb < 6.0 {
                return Err(format!("memory {m:?} is below Docker's minimum of 6m"));
            }
            run.insert("memory".into(), json!(m));
            Some(mb)
        }
        None => None,
    };
    if let Some(cpu) = a.positive("cpu", 1024.0)? {
        run.insert("cpu".into(), json!(cpu));
    }
    if let Some(env) = a.raw("env") {
        run.insert("env".into(), json!(args::env(env)?));
    }
    if let Some(cmd) = a.strings("command", 256)? {
        if cmd.is_empty() {
            return Err("command must hold at least one string; omit it to use the image's default".to_owned());
        }
        run.insert("command".into(), json!(cmd));
    }
    if let Some(name) = a.text("name", 63)? {
        args::container_name(name)?;
        run.insert("name".into(), json!(name));
    }
    if let Some(vols) = a.strings("volumes", 64)? {
        for v in &vols {
            args::volume(v)?;
        }
        run.insert("volumes".into(), json!(vols));
    }
    if let Some(shm) = a.text("shmSize", 32)? {
        args::memory_mb("shmSize", shm)?;
        run.insert("shmSize".into(), json!(shm));
    }
    let req = Request {
        gpus,
        memory_mb,
        gpu_model: a.text("gpuModel", 128)?.map(str::to_owned),
        min_vram_mb: a.whole("minVramMb", 1, 10_000_000)?.map(|n| n as f64),
        prefer_node: a.text("preferNode", 256)?.map(str::to_owned),
        strategy: a.text("strategy", 16)?.map(args::strategy).transpose()?.unwrap_or_default(),
    };
    Ok((req, Value::Object(run), a.flag("dryRun")?))
}

pub(super) async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Output, String> {
    let (req, run_params, dry_run) = parse(args)?;
    let dry_run = dry_run || p.config.read_only;
    let fleet = p.fleet(host).await?;
    if fleet.nodes.is_empty() {
        return Err(super::no_nodes(fleet.pending.len()));
    }
    if let Some(k) = &req.prefer_node {
        if !fleet.nodes.iter().any(|n| n.is(k)) {
            return Err(super::unknown_node(&fleet.nodes, "preferNode", k));
        }
    }
    let needs = Needs { facts: true, health: true, metrics: req.gpus > 0, containers: true };
    let reports = probe_all(p, host, &fleet.nodes, needs).await;
    for r in &reports {
        if let Some(m) = r.metrics() {
            p.ledger.settle(&r.node.id, m);
        }
    }
    let Plan { candidates, rejected } = placement::plan(&reports, &req, &p.config.thresholds, &p.ledger, host.now_ms());
    let mut d = Deployed {
        dry_run,
        placed: false,
        node_id: None,
        node_name: None,
        workload_id: None,
        container_id: None,
        name: None,
        gpus: (0..req.gpus).collect(),
        strategy: req.strategy,
        run_params,
        candidates,
        rejected,
        attempts: Vec::new(),
    };
    if d.candidates.is_empty() {
        return Err(nowhere(&d, fleet.nodes.len()));
    }
    if dry_run {
        return Output::new(text(&d, p.config.read_only), &d);
    }
    for c in d.candidates.clone() {
        let Some(node) = fleet.nodes.iter().find(|n| n.id == c.node_id) else { continue };
        let session = Session::new(host, node, p.config.invoke_timeout_ms);
        let result = session.call(crate::commands::RUN, &d.run_params).await.and_then(|v| workload::parse_run(&v));
        match result {
            Ok(started) => {
                p.ledger.hold(&node.id, req.gpus, host.now_ms());
                d.attempts.push(Attempt {
                    node_id: node.id.clone(),
                    node_name: node.name.clone(),
                    ok: true,
                    error: None,
                });
                d.placed = true;
                d.node_id = Some(node.id.clone());
                d.node_name = Some(node.name.clone());
                d.workload_id = Some(started.workload_id).filter(|s| !s.is_empty());
                d.container_id = Some(started.container_id);
                d.name = Some(started.name).filter(|s| !s.is_empty());
                return Output::new(text(&d, false), &d);
            }
            Err(e) => {
                d.attempts.push(Attempt {
                    node_id: node.id.clone(),
                    node_name: node.name.clone(),
                    ok: false,
                    error: Some(e),
                });
                if host.cancelled() {
                    break;
                }
            }
        }
    }
    let tried: Vec<String> =
        d.attempts.iter().map(|a| format!("{}: {}", a.node_name, a.error.as_deref().unwrap_or("?"))).collect();
    Err(format!("every candidate node refused the workload: {}", crate::summary::cut(&tried.join("; "), 2000)))
}

fn nowhere(d: &Deployed, nodes: usize) -> String {
    let mut lines: Vec<String> =
        d.rejected.iter().take(20).map(|r| format!("{}: {}", r.node_name, r.reasons.join("; "))).collect();
    if d.rejected.len() > 20 {
        lines.push(format!("…and {} more", d.rejected.len() - 20));
    }
    format!(
        "no node can host this workload ({nodes} clawnode(s) checked): {}",
        crate::summary::cut(&lines.join(" | "), 3000)
    )
}

fn text(d: &Deployed, read_only: bool) -> String {
    let mut t = Text::new();
    let gpus = match d.gpus.len() {
        0 => "no GPUs".to_owned(),
        1 => "GPU 0".to_owned(),
        n => format!("GPUs 0..{}", n - 1),
    };
    if d.placed {
        t.line(format!(
            "Deployed {} on {} ({gpus}): container {}, workload {}.",
            d.run_params.get("image").and_then(Value::as_str).unwrap_or("?"),
            d.node_name.as_deref().unwrap_or("?"),
            d.container_id.as_deref().unwrap_or("?"),
            d.workload_id.as_deref().unwrap_or("?"),
        ));
    } else {
        let best = d.candidates.first().map(|c| c.node_name.as_str()).unwrap_or("?");
        let why = if read_only { "read-only mode: planned, nothing run" } else { "dry run: nothing run" };
        let strategy = match d.strategy {
            Strategy::Binpack => "binpack",
            Strategy::Spread => "spread",
        };
        t.line(format!("Plan ({why}): {best} would run it ({gpus}, {strategy})."));
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
