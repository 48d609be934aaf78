//! clawbernetes — the core of an OpenClaw gateway plugin that runs a fleet of `clawnode`
//! GPU machines as one.
//!
//! Pure layers (no I/O): [`node`] (what a clawnode and the node list say), [`assess`] (one
//! verdict per node), [`fleet`] (aggregation), [`placement`], [`monitor`], [`alerts`],
//! [`holds`], [`runargs`], [`summary`], [`config`], [`commands`], [`redact`], [`json`].
//! Everything the core learns about the fleet comes through [`io::host::Host`], which the
//! wasm layer (`src/wasm/`, the only module that knows about JavaScript) implements over the
//! gateway; [`io`] drives it, [`tools`] and [`methods`] are the entry points. See
//! `ARCHITECTURE.md` for the map.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod alerts;
pub mod assess;
pub mod commands;
pub mod config;
pub mod error;
pub mod fleet;
pub mod holds;
pub mod io;
pub mod json;
pub mod methods;
pub mod monitor;
pub mod node;
pub mod placement;
pub mod plugin;
pub mod redact;
pub mod register;
pub mod runargs;
pub mod summary;
pub mod tools;

#[cfg(target_arch = "wasm32")]
mod wasm;
