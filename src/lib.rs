//! clawbernetes — the core of an OpenClaw gateway plugin that runs a fleet of `clawnode`
//! GPU machines as one.
//!
//! The core does no I/O of its own: everything it learns about the fleet comes through
//! [`host::Host`], which the wasm layer (`src/wasm/`, the only module that knows about
//! JavaScript) implements over the gateway. See `ARCHITECTURE.md` for the map.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod args;
pub mod assess;
pub mod commands;
pub mod config;
pub mod facts;
pub mod fanout;
pub mod fleet;
pub mod host;
pub mod json;
pub mod ledger;
pub mod monitor;
pub mod node;
pub mod placement;
pub mod plugin;
pub mod redact;
pub mod schema;
pub mod service;
pub mod summary;
pub mod tools;
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod wasm;
