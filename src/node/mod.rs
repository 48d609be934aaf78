//! What one clawnode says: a parser per command's payload, and what the gateway's node list
//! says about a node (pure; no I/O).
//!
//! Every parser takes the node's untrusted JSON text and returns a typed value, or an error
//! that names the command and the field. One malformed or out-of-range entry of a list (a
//! disk, a GPU, a container) is dropped and reported in [`Parsed::dropped`]; the rest is kept.
//! Fields a fleet plugin must not trust (`node.health.status`, always `"healthy"`, and
//! `connected`, always `false`) are not read at all.

pub mod caps;
pub mod entry;
pub mod facts;
pub mod gpu;
pub mod health;
pub mod workload;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A parsed payload and the list entries dropped from it (`"disks[1]: …"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// What could be read.
    pub value: T,
    /// One line per dropped entry: where it was and why.
    pub dropped: Vec<String>,
}

/// serde's message without its `at line 1 column 30` tail (the payload is one line).
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s.get(..i).unwrap_or(&s).to_owned(),
        None => s,
    }
}

/// Parses a whole payload as `W`, the error prefixed with `command`.
pub(crate) fn whole<'a, W: Deserialize<'a>>(command: &str, text: &'a str) -> Result<W, String> {
    serde_json::from_str(text).map_err(|e| format!("{command}: {}", serde_message(&e)))
}

/// Parses each raw entry of the list `field` with `check`, keeping the good ones in order and
/// describing the dropped ones (`disks[1]: …`).
pub(crate) fn entries<W: DeserializeOwned, T>(
    field: &str,
    raw: &[&RawValue],
    dropped: &mut Vec<String>,
    check: impl Fn(W) -> Result<T, String>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        match serde_json::from_str::<W>(r.get()).map_err(|e| serde_message(&e)).and_then(&check) {
            Ok(t) => out.push(t),
            Err(e) => dropped.push(format!("{field}[{i}]: {e}")),
        }
    }
    out
}

/// Checks that `v` is a finite number in `lo..=hi`; the error names `field` and the bounds.
pub(crate) fn within(field: &str, v: f64, lo: f64, hi: f64) -> Result<f64, String> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{field} {v} is outside {lo}..={hi}"))
    }
}

/// Largest byte count a node can report (u64 on the node).
pub const MAX_BYTES: f64 = 18_446_744_073_709_551_615.0;
/// Largest size in MB a node can report (an exabyte; memory and VRAM are far below).
pub const MAX_MB: f64 = 1e12;
