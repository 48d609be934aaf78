//! clawsim: a fleet of simulated clawnodes for end-to-end tests and demos.
//!
//! Each simulated node is a real WebSocket client of an OpenClaw gateway: it answers the
//! connect challenge with a signed Ed25519 device identity, declares the command list of a
//! default clawnode build, serves `node.invoke.request` one at a time with a configurable
//! latency, sends heartbeats and reconnects with back-off. Its answers are shaped like a real
//! clawnode's (see `tests/fixtures/clawnode/`), and it keeps state: containers started with
//! `workload.run` bind GPUs `0..n-1` until `workload.stop`.
//!
//! Code map:
//! - [`spec`]: the fleet file (TOML or JSON), the default 8-node fleet, generated fleets.
//! - [`summary`]: a fleet's totals (nodes, GPUs, containers, memory) from the file alone.
//! - [`node`]: one node's state and its command handlers (pure: no I/O, clock passed in).
//! - [`identity`]: the persisted device key and the signed connect payload.
//! - [`wire`]: gateway frames (connect params, invoke results, heartbeats), pure builders.
//! - [`client`]: the async connection loop of one node.
//! - [`operator`]: an operator WebSocket client (approves pending node surfaces, calls methods).
//! - [`latency`]: latency distributions.
//! - [`clock`]: timestamps and Docker-style status text.

pub mod client;
pub mod clock;
pub mod identity;
pub mod latency;
pub mod node;
pub mod operator;
pub mod spec;
pub mod summary;
pub mod wire;

/// The commands a default clawnode build declares when it connects (68 names).
pub const DEFAULT_BUILD_COMMANDS: &str = include_str!("../../tests/fixtures/clawnode/commands-default-build.txt");

/// The default fleet file shipped with the simulator.
pub const DEFAULT_FLEET_TOML: &str = include_str!("../fleets/default.toml");

/// The declared command list of a default clawnode build, in order.
pub fn default_build_commands() -> Vec<String> {
    DEFAULT_BUILD_COMMANDS.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_string).collect()
}

/// A random RFC 4122 version-4 uuid (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`).
pub fn uuid_v4(rng: &mut impl rand::Rng) -> String {
    let mut b: [u8; 16] = rng.gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |r: std::ops::Range<usize>| h.get(r).unwrap_or("");
    format!("{}-{}-{}-{}-{}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32))
}

/// Writes one line to stderr; a closed pipe is not worth a panic.
pub fn log(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "clawsim: {line}");
}
