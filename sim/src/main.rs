//! `clawsim`: run a simulated clawnode fleet against an OpenClaw gateway, approve it, call a
//! gateway method as an operator, or print a fleet and its totals. `clawsim help` lists the
//! commands.

use clap::{Args, Parser, Subcommand};
use clawsim::client::{self, Control, Event, Settings};
use clawsim::clock::now_ms;
use clawsim::identity::Identity;
use clawsim::node::Node;
use clawsim::operator::{self, Operator};
use clawsim::spec::{Fleet, HotGpu, Shape};
use clawsim::wire::{self, Hello, WireMode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::sync::{broadcast, mpsc, Semaphore};

const RUN_OUTPUT: &str = "\
RUN OUTPUT
  stdout: one JSON object per line, \"event\" one of started, connected, ready, approved,
          approve-failed, disconnected, refused (the gateway answered the connect with an error:
          code, message, detail), unreachable (no answer: TCP, HTTP 503, timeouts),
          pairing-refused / pairing-approved (--approve: a refused node's device pairing request
          and the gateway's answer), control, served (--verbose), stopped
  stdin:  control lines: disconnect NAME [SECS] | reconnect NAME | hot NAME INDEX TEMP | cool NAME";

/// A fleet of simulated clawnodes for an OpenClaw gateway.
#[derive(Parser)]
#[command(name = "clawsim", version, after_help = RUN_OUTPUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connect the fleet and serve invokes until SIGTERM or Ctrl-C
    Run(RunArgs),
    /// Approve the fleet's pending node surfaces
    Approve(ApproveArgs),
    /// Call a gateway method as an operator and print its payload
    Call(CallArgs),
    /// Print {name: nodeId} (creates the node keys)
    Ids(IdsArgs),
    /// Print the resolved fleet as JSON, or its totals with --summary
    Fleet(FleetArgs),
}

/// Which fleet: a file, a generated one, or the built-in 8-node fleet.
#[derive(Args)]
struct FleetChoice {
    /// Fleet file, TOML or .json (default: the built-in 8-node fleet)
    #[arg(long, value_name = "FILE", conflicts_with = "nodes")]
    fleet: Option<PathBuf>,
    /// A generated fleet of N nodes (1-10000) instead
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    nodes: Option<u32>,
    /// Shape of a generated fleet: small (mixed GPUs, no containers, a few faults) or
    /// realistic (8 × H100, 3 containers, all healthy) [default: small]
    #[arg(long, value_name = "SHAPE", value_parser = Shape::parse, requires = "nodes")]
    shape: Option<Shape>,
    /// Seed of a generated fleet's draws (the same seed gives the same fleet)
    #[arg(long, value_name = "SEED", requires = "nodes")]
    seed: Option<u64>,
}

impl FleetChoice {
    fn load(&self) -> Result<Fleet, String> {
        match (&self.fleet, self.nodes) {
            (Some(path), _) => Fleet::load(path),
            (None, Some(n)) => Ok(Fleet::generated(n as usize, self.shape.unwrap_or_default(), self.seed.unwrap_or(1))),
            (None, None) => Fleet::default_fleet(),
        }
    }

    fn given(&self) -> bool {
        self.fleet.is_some() || self.nodes.is_some()
    }
}

/// Where the gateway is and how to authenticate.
#[derive(Args)]
struct GatewayArgs {
    /// Gateway WebSocket URL
    #[arg(long, value_name = "URL", env = "CLAWSIM_GATEWAY", default_value = "ws://127.0.0.1:18789")]
    gateway: String,
    /// The gateway's shared token
    #[arg(long, value_name = "T", env = "OPENCLAW_GATEWAY_TOKEN", hide_env_values = true)]
    token: String,
}

#[derive(Args)]
struct StateDir {
    /// Node keys live in DIR/<name>/device.json, the roster in DIR/fleet.json
    #[arg(long, value_name = "DIR", default_value = "clawsim-state")]
    state_dir: PathBuf,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    fleet: FleetChoice,
    #[command(flatten)]
    gateway: GatewayArgs,
    #[command(flatten)]
    state: StateDir,
    /// How nodes connect, unless the fleet file sets a node's own `wire`: current (protocol 4),
    /// legacy (a clawnode release, scopes []), legacy-scopes (clawnode unmodified, scopes
    /// ["node"]: refused by the gateway) [default: the fleet file's `wire`, else current]
    #[arg(long, value_name = "MODE", value_parser = WireMode::parse)]
    wire: Option<WireMode>,
    /// Approve the fleet's pending command surfaces once every node has connected or been refused
    #[arg(long)]
    approve: bool,
    /// How long --approve may take, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    approve_timeout: u64,
    /// Ignore disconnect_after_secs (tests drive disconnects on stdin)
    #[arg(long)]
    no_timed_faults: bool,
    /// Handshakes in flight at once (the gateway refuses more than 32 unauthenticated sockets
    /// from one address with HTTP 503)
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_handshakes: u32,
    /// Print every served invoke
    #[arg(long)]
    verbose: bool,
}

#[derive(Args)]
struct ApproveArgs {
    #[command(flatten)]
    fleet: FleetChoice,
    #[command(flatten)]
    gateway: GatewayArgs,
    #[command(flatten)]
    state: StateDir,
    /// How long to wait, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    timeout: f64,
}

#[derive(Args)]
struct CallArgs {
    /// Gateway method, e.g. clawbernetes.fleet-status
    method: String,
    /// Params as JSON (default {})
    params: Option<String>,
    #[command(flatten)]
    gateway: GatewayArgs,
    /// How long to wait, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = positive_secs)]
    timeout: f64,
}

#[derive(Args)]
struct IdsArgs {
    #[command(flatten)]
    fleet: FleetChoice,
    #[command(flatten)]
    state: StateDir,
}

#[derive(Args)]
struct FleetArgs {
    #[command(flatten)]
    fleet: FleetChoice,
    /// Print the fleet's totals (nodes, wire modes, GPUs by model, containers by state, memory)
    /// instead of the fleet
    #[arg(long)]
    summary: bool,
    /// The wire mode the totals count nodes in (as `run --wire`)
    #[arg(long, value_name = "MODE", value_parser = WireMode::parse)]
    wire: Option<WireMode>,
}

fn positive_secs(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or_else(|| format!("must be a positive number of seconds, got {text:?}"))
}

/// Writes one line to stdout; a closed pipe is not worth a panic.
fn out(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn emit(value: Value) {
    out(&value.to_string());
}

fn pretty(value: &impl serde::Serialize) -> Result<(), String> {
    serde_json::to_string_pretty(value).map(|s| out(&s)).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args).await,
        Command::Approve(args) => approve(args).await,
        Command::Call(args) => call(args).await,
        Command::Ids(args) => ids(args),
        Command::Fleet(args) => fleet(args),
    };
    if let Err(e) = result {
        clawsim::log(&e);
        std::process::exit(2);
    }
}

/// Loads or creates every node's identity; returns (name, identity) in fleet order.
fn identities(fleet: &Fleet, dir: &Path) -> Result<Vec<(String, Identity)>, String> {
    fleet.nodes.iter().map(|n| Identity::load_or_create(&dir.join(&n.name)).map(|id| (n.name.clone(), id))).collect()
}

fn fleet(args: FleetArgs) -> Result<(), String> {
    let fleet = args.fleet.load()?;
    if args.summary {
        pretty(&clawsim::summary::summarize(&fleet, args.wire, clawsim::default_build_commands().len()))
    } else {
        pretty(&fleet)
    }
}

fn ids(args: IdsArgs) -> Result<(), String> {
    let fleet = args.fleet.load()?;
    let map: serde_json::Map<String, Value> =
        identities(&fleet, &args.state.state_dir)?.into_iter().map(|(name, id)| (name, json!(id.device_id))).collect();
    out(&Value::Object(map).to_string());
    Ok(())
}

async fn call(args: CallArgs) -> Result<(), String> {
    let params: Value = match &args.params {
        Some(p) => serde_json::from_str(p).map_err(|e| format!("PARAMS_JSON is not JSON: {e}"))?,
        None => json!({}),
    };
    let mut op = Operator::connect(&args.gateway.gateway, &args.gateway.token).await?;
    let payload = op.call(&args.method, params, Duration::from_secs_f64(args.timeout)).await?;
    pretty(&payload)
}

async fn approve(args: ApproveArgs) -> Result<(), String> {
    let expect: BTreeSet<String> = if args.fleet.given() || args.state.state_dir.exists() {
        identities(&args.fleet.load()?, &args.state.state_dir)?.into_iter().map(|(_, id)| id.device_id).collect()
    } else {
        BTreeSet::new()
    };
    let wait = Duration::from_secs_f64(args.timeout);
    let approved = operator::approve_with_retries(&args.gateway.gateway, &args.gateway.token, &expect, wait).await?;
    emit(json!({"event": "approved", "requests": approved.len(), "nodes": expect.len()}));
    Ok(())
}

async fn run(args: RunArgs) -> Result<(), String> {
    let fleet = args.fleet.load()?;
    let (url, token) = (args.gateway.gateway.clone(), args.gateway.token.clone());
    let state_dir = args.state.state_dir.clone();
    let commands = clawsim::default_build_commands();
    let started = tokio::time::Instant::now();
    let handshakes = Arc::new(Semaphore::new(args.max_handshakes as usize));

    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Event>();
    let (control_tx, _) = broadcast::channel::<Control>(64);
    let mut nodes: BTreeMap<String, Arc<Mutex<Node>>> = BTreeMap::new();
    let mut roster = Vec::new();
    for ((name, identity), (i, spec)) in identities(&fleet, &state_dir)?.into_iter().zip(fleet.nodes.iter().enumerate())
    {
        let node = Node::new(spec.clone(), &commands, now_ms(), i as u64).with_images(fleet.images.clone());
        let node = Arc::new(Mutex::new(node));
        let wire = fleet.wire_of(spec, args.wire);
        let settings = Settings {
            name: name.clone(),
            url: url.clone(),
            hello: Hello {
                wire,
                display_name: spec.hostname().to_string(),
                caps: wire::caps(spec.gpu_count(), &spec.container_runtime),
                commands: commands.clone(),
                token: token.clone(),
            },
            instance_id: format!("clawsim-{}-{}", std::process::id(), i),
            handshakes: handshakes.clone(),
            latency: spec.latency.clone().unwrap_or_else(|| fleet.latency.clone()),
            heartbeat: Duration::from_secs(fleet.heartbeat_secs),
            disconnect_at: spec
                .faults
                .disconnect_after_secs
                .filter(|_| !args.no_timed_faults)
                .map(|s| started + Duration::from_secs_f64(s)),
            reconnect_after: spec.faults.reconnect_after_secs.map(Duration::from_secs_f64),
            verbose: args.verbose,
        };
        roster.push(json!({"name": name, "nodeId": identity.device_id, "displayName": spec.hostname(), "wire": wire}));
        nodes.insert(name.clone(), node.clone());
        tokio::spawn(client::run(node, Arc::new(identity), settings, events_tx.clone(), control_tx.subscribe()));
    }
    std::fs::create_dir_all(&state_dir).map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
    let roster_path = state_dir.join("fleet.json");
    std::fs::write(&roster_path, Value::Array(roster.clone()).to_string())
        .map_err(|e| format!("cannot write {}: {e}", roster_path.display()))?;
    emit(json!({"event": "started", "nodes": roster, "gateway": url}));

    let all: BTreeSet<String> = roster.iter().filter_map(|r| r["nodeId"].as_str().map(str::to_string)).collect();
    let mut connected: BTreeSet<String> = BTreeSet::new();
    let mut refused: BTreeSet<String> = BTreeSet::new();
    let mut announced_ready = false;
    let (approve_tx, mut approve_rx) = mpsc::unbounded_channel::<Approval>();
    let names: BTreeMap<String, String> = roster
        .iter()
        .filter_map(|r| Some((r["nodeId"].as_str()?.to_string(), r["name"].as_str()?.to_string())))
        .collect();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
    let elapsed_ms = || started.elapsed().as_millis() as u64;

    loop {
        let mut settled = false;
        tokio::select! {
            Some(event) = events_rx.recv() => match event {
                Event::Connected { name, node_id } => {
                    emit(json!({"event": "connected", "name": name, "nodeId": node_id}));
                    refused.remove(&node_id);
                    connected.insert(node_id);
                    settled = true;
                }
                Event::Disconnected { name, node_id, reason } => {
                    connected.remove(&node_id);
                    emit(json!({"event": "disconnected", "name": name, "nodeId": node_id, "reason": reason}));
                }
                Event::Refused { name, node_id, error, attempt } => {
                    emit(json!({
                        "event": "refused", "name": name, "nodeId": node_id, "attempt": attempt,
                        "code": error.code, "message": error.message, "detail": error.detail, "error": error.to_string(),
                    }));
                    if !connected.contains(&node_id) {
                        refused.insert(node_id);
                        settled = true;
                    }
                }
                Event::Unreachable { name, node_id, error, attempt } => {
                    emit(json!({"event": "unreachable", "name": name, "nodeId": node_id, "attempt": attempt, "error": error}));
                }
                Event::Served { name, command, ok, ms } => {
                    emit(json!({"event": "served", "name": name, "command": command, "ok": ok, "ms": ms}));
                }
            },
            Some(approval) = approve_rx.recv() => match approval {
                Approval::Device(a) => {
                    let name = names.get(&a.device_id).cloned().unwrap_or_default();
                    emit(match a.outcome {
                        Ok(()) => json!({"event": "pairing-approved", "name": name, "nodeId": a.device_id, "requestId": a.request_id}),
                        Err(e) => json!({
                            "event": "pairing-refused", "name": name, "nodeId": a.device_id, "requestId": a.request_id,
                            "code": e.code, "message": e.message, "error": e.to_string(),
                        }),
                    });
                }
                Approval::Done(Ok(n)) => emit(json!({"event": "approved", "requests": n, "nodes": connected.len(), "elapsedMs": elapsed_ms()})),
                Approval::Done(Err(e)) => emit(json!({"event": "approve-failed", "error": e, "elapsedMs": elapsed_ms()})),
            },
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => {
                    let outcome = control(&line, &nodes, &control_tx);
                    emit(match outcome {
                        Ok(done) => json!({"event": "control", "ok": true, "line": line, "done": done}),
                        Err(e) => json!({"event": "control", "ok": false, "line": line, "error": e}),
                    });
                }
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
        }
        // Ready once every node has connected or been refused by the gateway.
        if settled && !announced_ready && connected.len() + refused.len() == all.len() {
            announced_ready = true;
            emit(
                json!({"event": "ready", "connected": connected.len(), "refused": refused.len(), "elapsedMs": elapsed_ms()}),
            );
            if args.approve {
                let (tx, url, token) = (approve_tx.clone(), url.clone(), token.clone());
                let (expect, refused) = (connected.clone(), refused.clone());
                let wait = Duration::from_secs(args.approve_timeout);
                tokio::spawn(approve_all(url, token, expect, refused, wait, tx));
            }
        }
    }
    emit(json!({"event": "stopped"}));
    // The stdin reader is a blocking thread the runtime would wait for on shutdown: exit now.
    std::process::exit(0);
}

/// What the approval task reports to the run loop.
enum Approval {
    /// A refused node's device pairing request, and what the gateway said to its approval.
    Device(operator::DeviceApproval),
    /// The connected nodes' command surfaces: approved (how many requests), or why not.
    Done(Result<usize, String>),
}

/// Approves what an operator would: the device pairing requests of nodes the gateway answered
/// `NOT_PAIRED` (for clawnode's `scopes: ["node"]` the gateway refuses that too), then the
/// command surfaces of the connected nodes.
async fn approve_all(
    url: String,
    token: String,
    connected: BTreeSet<String>,
    refused: BTreeSet<String>,
    wait: Duration,
    tx: mpsc::UnboundedSender<Approval>,
) {
    let deadline = tokio::time::Instant::now() + wait;
    if !refused.is_empty() {
        let devices =
            async { Operator::connect_retrying(&url, &token, deadline).await?.approve_devices(&refused).await };
        match devices.await {
            Ok(list) => list.into_iter().for_each(|a| {
                let _ = tx.send(Approval::Device(a));
            }),
            Err(e) => clawsim::log(&format!("device approval: {e}")),
        }
    }
    let result = if connected.is_empty() {
        Err(format!("no node connected: the gateway refused all {} node(s)", refused.len()))
    } else {
        operator::approve_with_retries(&url, &token, &connected, wait).await.map(|a| a.len())
    };
    let _ = tx.send(Approval::Done(result));
}

/// Applies one control line from stdin.
fn control(
    line: &str,
    nodes: &BTreeMap<String, Arc<Mutex<Node>>>,
    tx: &broadcast::Sender<Control>,
) -> Result<String, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let node = |name: &str| nodes.get(name).ok_or_else(|| format!("no node named {name:?}"));
    match words.as_slice() {
        ["disconnect", name, rest @ ..] => {
            node(name)?;
            let secs = match rest.first() {
                Some(s) => Some(
                    s.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| format!("bad seconds {s:?}"))?,
                ),
                None => None,
            };
            let _ = tx.send(Control::Disconnect { name: name.to_string(), secs });
            Ok(format!("{name} disconnecting"))
        }
        ["reconnect", name] => {
            node(name)?;
            let _ = tx.send(Control::Reconnect { name: name.to_string() });
            Ok(format!("{name} reconnecting"))
        }
        ["hot", name, index, temp] => {
            let index: u32 = index.parse().map_err(|_| format!("bad GPU index {index:?}"))?;
            let temperature_c: u32 = temp.parse().map_err(|_| format!("bad temperature {temp:?}"))?;
            let mut n = node(name)?.lock().map_err(|_| "state poisoned".to_string())?;
            if index >= n.spec.gpu_count() {
                return Err(format!("{name} has no GPU {index}"));
            }
            n.spec.faults.hot_gpus.retain(|h| h.index != index);
            n.spec.faults.hot_gpus.push(HotGpu { index, temperature_c });
            Ok(format!("{name} GPU {index} at {temperature_c} C"))
        }
        ["cool", name] => {
            let mut n = node(name)?.lock().map_err(|_| "state poisoned".to_string())?;
            n.spec.faults.hot_gpus.clear();
            Ok(format!("{name} cooled"))
        }
        _ => Err("expected: disconnect NAME [SECS] | reconnect NAME | hot NAME INDEX TEMP | cool NAME".to_string()),
    }
}
