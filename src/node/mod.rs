//! What one clawnode says: a tolerant parser for each command's payload.
//!
//! Every parser takes the node's untrusted JSON and returns a typed value or an error that
//! names the command and the field. Fields a fleet plugin must not trust (`node.health.status`,
//! which is always `"healthy"`, and `connected`, always `false`) are not read at all.

pub mod caps;
pub mod gpu;
pub mod health;
pub mod workload;

/// Prefixes a field error with the command it came from.
pub(crate) fn in_command(command: &str) -> impl Fn(String) -> String + '_ {
    move |e| format!("{command}: {e}")
}
