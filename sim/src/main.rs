//! `clawsim`: run a simulated clawnode fleet against an OpenClaw gateway, approve it, or call
//! a gateway method as an operator. `clawsim help` lists the commands.

use clawsim::client::{self, Control, Event, Settings};
use clawsim::clock::now_ms;
use clawsim::identity::Identity;
use clawsim::node::Node;
use clawsim::operator::Operator;
use clawsim::spec::{Fleet, HotGpu};
use clawsim::wire::Hello;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::sync::{broadcast, mpsc};

const HELP: &str = "\
clawsim — a fleet of simulated clawnodes for an OpenClaw gateway

USAGE
  clawsim run     [--fleet FILE | --nodes N] [options]   connect the fleet and serve invokes
  clawsim approve [--state-dir DIR] [--timeout SECS]      approve the fleet's pending node surfaces
  clawsim call    METHOD [PARAMS_JSON]                    call a gateway method as an operator
  clawsim ids     [--fleet FILE | --nodes N] [--state-dir DIR]   print {name: nodeId} (creates keys)
  clawsim fleet   [--fleet FILE | --nodes N]              print the resolved fleet as JSON

OPTIONS
  --gateway URL       gateway WebSocket URL (default ws://127.0.0.1:18789, env CLAWSIM_GATEWAY)
  --token T           gateway token (default env OPENCLAW_GATEWAY_TOKEN)
  --fleet FILE        fleet file, TOML or .json (default: the built-in 8-node fleet)
  --nodes N           a generated fleet of N nodes instead
  --state-dir DIR     per-node device keys live in DIR/<name>/device.json (default ./clawsim-state)
  --approve           (run) approve the fleet's pending command surfaces once it is connected
  --no-timed-faults   (run) ignore disconnect_after_secs (tests drive disconnects on stdin)
  --protocol 3|4      (run) node protocol: 4 signs the v3 payload (default), 3 is clawnode's legacy v2
  --platform P        (run) client.platform (default linux; clawnode sends \"linux x86_64\")
  --verbose           (run) print every served invoke
  --timeout SECS      (approve, call) how long to wait (default 60 / 30)

RUN OUTPUT
  stdout: one JSON object per line: {\"event\":\"connected\"|\"disconnected\"|\"refused\"|\"ready\"|\"approved\"|\"control\"|\"served\",…}
  stdin:  control lines: disconnect NAME [SECS] | reconnect NAME | hot NAME INDEX TEMP | cool NAME
";

struct Args {
    command: String,
    positional: Vec<String>,
    options: BTreeMap<String, String>,
    flags: BTreeSet<String>,
}

const FLAGS: [&str; 3] = ["--approve", "--no-timed-faults", "--verbose"];

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().unwrap_or_else(|| "help".to_string());
    let mut args = Args { command, positional: vec![], options: BTreeMap::new(), flags: BTreeSet::new() };
    while let Some(a) = it.next() {
        if FLAGS.contains(&a.as_str()) {
            args.flags.insert(a);
        } else if let Some(key) = a.strip_prefix("--") {
            let value = it.next().ok_or_else(|| format!("--{key} needs a value"))?;
            args.options.insert(key.to_string(), value);
        } else {
            args.positional.push(a);
        }
    }
    Ok(args)
}

impl Args {
    fn opt(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }
    fn gateway(&self) -> String {
        self.opt("gateway")
            .map(str::to_string)
            .or_else(|| std::env::var("CLAWSIM_GATEWAY").ok())
            .unwrap_or_else(|| "ws://127.0.0.1:18789".to_string())
    }
    fn token(&self) -> Result<String, String> {
        self.opt("token")
            .map(str::to_string)
            .or_else(|| std::env::var("OPENCLAW_GATEWAY_TOKEN").ok())
            .ok_or_else(|| "no gateway token: pass --token or set OPENCLAW_GATEWAY_TOKEN".to_string())
    }
    fn state_dir(&self) -> PathBuf {
        PathBuf::from(self.opt("state-dir").unwrap_or("clawsim-state"))
    }
    fn secs(&self, default: f64) -> Result<Duration, String> {
        match self.opt("timeout") {
            None => Ok(Duration::from_secs_f64(default)),
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("--timeout must be a positive number of seconds, got {t:?}")),
        }
    }
    fn fleet(&self) -> Result<Fleet, String> {
        match (self.opt("fleet"), self.opt("nodes")) {
            (Some(_), Some(_)) => Err("pass --fleet or --nodes, not both".to_string()),
            (Some(path), None) => Fleet::load(&PathBuf::from(path)),
            (None, Some(n)) => match n.parse::<usize>() {
                Ok(n) if (1..=10_000).contains(&n) => Ok(Fleet::generated(n)),
                _ => Err(format!("--nodes must be a whole number from 1 to 10000, got {n:?}")),
            },
            (None, None) => Fleet::default_fleet(),
        }
    }
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

#[tokio::main]
async fn main() {
    let result = match parse_args() {
        Ok(args) => match args.command.as_str() {
            "run" => run(args).await,
            "approve" => approve(args).await,
            "call" => call(args).await,
            "ids" => ids(args),
            "fleet" => args.fleet().and_then(|f| serde_json::to_string_pretty(&f).map_err(|e| e.to_string())).map(|s| out(&s)),
            "help" | "--help" | "-h" => {
                out(HELP.trim_end());
                Ok(())
            }
            other => Err(format!("unknown command {other:?} (try `clawsim help`)")),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        clawsim::log(&e);
        std::process::exit(2);
    }
}

/// Loads or creates every node's identity; returns (name, identity) in fleet order.
fn identities(fleet: &Fleet, dir: &std::path::Path) -> Result<Vec<(String, Identity)>, String> {
    fleet
        .nodes
        .iter()
        .map(|n| Identity::load_or_create(&dir.join(&n.name)).map(|id| (n.name.clone(), id)))
        .collect()
}

fn ids(args: Args) -> Result<(), String> {
    let fleet = args.fleet()?;
    let map: serde_json::Map<String, Value> = identities(&fleet, &args.state_dir())?
        .into_iter()
        .map(|(name, id)| (name, json!(id.device_id)))
        .collect();
    out(&Value::Object(map).to_string());
    Ok(())
}

async fn call(args: Args) -> Result<(), String> {
    let method = args.positional.first().ok_or("call needs a METHOD")?;
    let params: Value = match args.positional.get(1) {
        Some(p) => serde_json::from_str(p).map_err(|e| format!("PARAMS_JSON is not JSON: {e}"))?,
        None => json!({}),
    };
    let wait = args.secs(30.0)?;
    let mut op = Operator::connect(&args.gateway(), &args.token()?).await?;
    let payload = op.call(method, params, wait).await?;
    out(&serde_json::to_string_pretty(&payload).map_err(|e| e.to_string())?);
    Ok(())
}

async fn approve(args: Args) -> Result<(), String> {
    let wait = args.secs(60.0)?;
    let expect: BTreeSet<String> = match (args.opt("fleet"), args.opt("nodes"), args.state_dir().exists()) {
        (None, None, false) => BTreeSet::new(),
        _ => identities(&args.fleet()?, &args.state_dir())?.into_iter().map(|(_, id)| id.device_id).collect(),
    };
    let mut op = Operator::connect(&args.gateway(), &args.token()?).await?;
    let approved = op.approve_fleet(&expect, wait).await?;
    emit(json!({"event": "approved", "requests": approved.len(), "nodes": expect.len()}));
    Ok(())
}

async fn run(args: Args) -> Result<(), String> {
    let fleet = args.fleet()?;
    let token = args.token()?;
    let url = args.gateway();
    let protocol: u8 = match args.opt("protocol").unwrap_or("4") {
        "4" => 4,
        "3" => 3,
        p => return Err(format!("--protocol must be 3 or 4, got {p:?}")),
    };
    let platform = args.opt("platform").unwrap_or("linux").to_string();
    let timed_faults = !args.flags.contains("--no-timed-faults");
    let verbose = args.flags.contains("--verbose");
    let state_dir = args.state_dir();
    let commands = clawsim::default_build_commands();
    let started = tokio::time::Instant::now();

    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Event>();
    let (control_tx, _) = broadcast::channel::<Control>(64);
    let mut nodes: BTreeMap<String, Arc<Mutex<Node>>> = BTreeMap::new();
    let mut roster = Vec::new();
    for ((name, identity), (i, spec)) in identities(&fleet, &state_dir)?.into_iter().zip(fleet.nodes.iter().enumerate()) {
        let node = Arc::new(Mutex::new(Node::new(spec.clone(), &commands, now_ms(), i as u64)));
        let caps: Vec<String> = {
            let mut caps = vec!["system".to_string()];
            if spec.gpu_count() > 0 {
                caps.extend(["gpu".to_string(), "nvidia".to_string()]);
            }
            if spec.container_runtime != "none" {
                caps.extend([spec.container_runtime.clone(), "container".to_string()]);
            }
            caps
        };
        let settings = Settings {
            url: url.clone(),
            hello: Hello {
                protocol,
                display_name: name.clone(),
                platform: platform.clone(),
                device_family: "Linux".to_string(),
                instance_id: format!("clawsim-{}-{}", std::process::id(), i),
                caps,
                commands: commands.clone(),
                token: token.clone(),
            },
            latency: spec.latency.clone().unwrap_or_else(|| fleet.latency.clone()),
            heartbeat: Duration::from_secs(fleet.heartbeat_secs),
            disconnect_at: spec
                .faults
                .disconnect_after_secs
                .filter(|_| timed_faults)
                .map(|s| started + Duration::from_secs_f64(s)),
            reconnect_after: spec.faults.reconnect_after_secs.map(Duration::from_secs_f64),
            verbose,
        };
        roster.push(json!({"name": name, "nodeId": identity.device_id}));
        nodes.insert(name.clone(), node.clone());
        tokio::spawn(client::run(node, Arc::new(identity), settings, events_tx.clone(), control_tx.subscribe()));
    }
    std::fs::create_dir_all(&state_dir).map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
    let roster_path = state_dir.join("fleet.json");
    std::fs::write(&roster_path, Value::Array(roster.clone()).to_string())
        .map_err(|e| format!("cannot write {}: {e}", roster_path.display()))?;
    emit(json!({"event": "started", "nodes": roster, "gateway": url, "protocol": protocol}));

    let all: BTreeSet<String> = roster.iter().filter_map(|r| r["nodeId"].as_str().map(str::to_string)).collect();
    let mut connected: BTreeSet<String> = BTreeSet::new();
    let mut announced_ready = false;
    let (approve_tx, mut approve_rx) = mpsc::unbounded_channel::<Result<usize, String>>();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;

    loop {
        tokio::select! {
            Some(event) = events_rx.recv() => match event {
                Event::Connected { name, node_id } => {
                    emit(json!({"event": "connected", "name": name, "nodeId": node_id}));
                    connected.insert(node_id);
                    if !announced_ready && connected == all {
                        announced_ready = true;
                        emit(json!({"event": "ready", "connected": connected.len()}));
                        if args.flags.contains("--approve") {
                            let (url, token, expect, tx) = (url.clone(), token.clone(), all.clone(), approve_tx.clone());
                            tokio::spawn(async move {
                                let result = async {
                                    let mut op = Operator::connect(&url, &token).await?;
                                    op.approve_fleet(&expect, Duration::from_secs(60)).await.map(|a| a.len())
                                }.await;
                                let _ = tx.send(result);
                            });
                        }
                    }
                }
                Event::Disconnected { name, node_id, reason } => {
                    connected.remove(&node_id);
                    emit(json!({"event": "disconnected", "name": name, "nodeId": node_id, "reason": reason}));
                }
                Event::Refused { name, node_id, error } => {
                    emit(json!({"event": "refused", "name": name, "nodeId": node_id, "error": error}));
                }
                Event::Served { name, command, ok, ms } => {
                    emit(json!({"event": "served", "name": name, "command": command, "ok": ok, "ms": ms}));
                }
            },
            Some(result) = approve_rx.recv() => match result {
                Ok(n) => emit(json!({"event": "approved", "requests": n, "nodes": all.len()})),
                Err(e) => emit(json!({"event": "approve-failed", "error": e})),
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
    }
    emit(json!({"event": "stopped"}));
    // The stdin reader is a blocking thread the runtime would wait for on shutdown: exit now.
    std::process::exit(0);
}

/// Applies one control line from stdin.
fn control(line: &str, nodes: &BTreeMap<String, Arc<Mutex<Node>>>, tx: &broadcast::Sender<Control>) -> Result<String, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let node = |name: &str| nodes.get(name).ok_or_else(|| format!("no node named {name:?}"));
    match words.as_slice() {
        ["disconnect", name, rest @ ..] => {
            node(name)?;
            let secs = match rest.first() {
                Some(s) => Some(s.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| format!("bad seconds {s:?}"))?),
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
