//! The I/O layer: the [`host::Host`] trait (the only way out), the fan-out driver with its
//! adaptive bound, the probe of one node, the static-facts cache, the transports' codecs, and
//! the monitor's driver. No fleet decisions are made here: it hands plain data to the pure
//! layers.

pub mod facts;
pub mod fanout;
pub mod host;
pub mod probe;
pub mod transport;
pub mod watch;
