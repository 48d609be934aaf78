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

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A parsed payload and the list entries dropped from it (`"node.health disks[1]: …"`).
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

/// Why `text` (valid JSON or not) is not a JSON object, if it is not: serde would read a
/// struct from an array as well, and name the plugin's own type when given anything else.
fn not_an_object(text: &str) -> Option<&'static str> {
    match text.trim_start().bytes().next() {
        Some(b'{') => None,
        Some(b'[') => Some("expected an object, got an array"),
        Some(b'"') => Some("expected an object, got a string"),
        Some(b't' | b'f') => Some("expected an object, got a boolean"),
        Some(b'n') => Some("expected an object, got null"),
        _ => Some("expected an object, got a number"),
    }
}

/// Reads the JSON object `text` as `W`; the error names the field it is about
/// (`memory.total_mb: invalid type: …`), or says the text is not JSON at all.
fn read<'a, W: Deserialize<'a>>(text: &'a str) -> Result<W, String> {
    let syntax = |e: &serde_json::Error| format!("payload is not valid JSON: {}", serde_message(e));
    let mut de = serde_json::Deserializer::from_str(text);
    let w = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return syntax(inner);
        }
        match e.path().to_string() {
            p if p == "." => serde_message(inner),
            p => format!("{p}: {}", serde_message(inner)),
        }
    })?;
    de.end().map_err(|e| syntax(&e))?;
    Ok(w)
}

/// Parses a whole payload as `W`, the error prefixed with `command`.
pub(crate) fn whole<'a, W: Deserialize<'a>>(command: &str, text: &'a str) -> Result<W, String> {
    let out = match not_an_object(text) {
        None => read(text),
        Some(why) => match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => Err(format!("payload: {why}")),
            Err(e) => Err(format!("payload is not valid JSON: {}", serde_message(&e))),
        },
    };
    out.map_err(|e| format!("{command}: {e}"))
}

/// Reads a payload in one pass, its lists' entries straight into their item types: what every
/// well-formed payload takes. `None` when that fails anywhere; the parser then reads the
/// payload again with raw list entries ([`whole`], [`entries`]), so one malformed entry is
/// dropped and named while the rest is kept.
pub(crate) fn fast<'a, W: Deserialize<'a>>(text: &'a str) -> Option<W> {
    if not_an_object(text).is_some() {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// A JSON object read as `W`, refusing anything else: serde reads a struct from an array as
/// well (positionally), which a node's answer must not get away with.
#[derive(Debug)]
pub(crate) struct Obj<W>(pub W);

impl<'de, W: Deserialize<'de>> Deserialize<'de> for Obj<W> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<W>(std::marker::PhantomData<W>);
        impl<'de, W: Deserialize<'de>> serde::de::Visitor<'de> for Visit<W> {
            type Value = W;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<W, A::Error> {
                W::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData)).map(Obj)
    }
}

/// A list entry as read in the second pass: its raw JSON text.
pub(crate) type Raw = Box<RawValue>;

/// Checks entries read in one pass with `check`, keeping the good ones in order and describing
/// the others (`node.health disks[1]: …`), as [`entries`] does for raw ones.
pub(crate) fn checked<W, T>(
    field: &str,
    items: Vec<W>,
    dropped: &mut Vec<String>,
    check: impl Fn(W) -> Result<T, String>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for (i, w) in items.into_iter().enumerate() {
        match check(w) {
            Ok(t) => out.push(t),
            Err(e) => dropped.push(format!("{field}[{i}]: {e}")),
        }
    }
    out
}

/// Parses each raw entry of the list `field` with `check`, keeping the good ones in order and
/// describing the dropped ones (`node.health disks[1]: …`).
pub(crate) fn entries<W: DeserializeOwned, T>(
    field: &str,
    raw: &[Raw],
    dropped: &mut Vec<String>,
    check: impl Fn(W) -> Result<T, String>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let entry = match not_an_object(r.get()) {
            None => read::<W>(r.get()).and_then(&check),
            Some(why) => Err(why.to_owned()),
        };
        match entry {
            Ok(t) => out.push(t),
            Err(e) => dropped.push(format!("{field}[{i}]: {e}")),
        }
    }
    out
}

/// Keeps the first entry of each GPU index of the list `field` and reports the repeats, so a
/// GPU listed twice counts once (`gpu.list gpus: GPU 0 listed more than once; the first entry
/// is kept`). The static lists keep one entry because the GPU exists either way; `gpu.metrics`
/// trusts neither reading instead.
pub(crate) fn each_gpu_once<T>(
    field: &str,
    items: Vec<T>,
    index: impl Fn(&T) -> u32,
    dropped: &mut Vec<String>,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    let mut repeated: Vec<u32> = Vec::new();
    for t in items {
        let i = index(&t);
        if !out.iter().any(|o| index(o) == i) {
            out.push(t);
        } else if !repeated.contains(&i) {
            repeated.push(i);
            dropped.push(format!("{field}: GPU {i} listed more than once; the first entry is kept"));
        }
    }
    out
}

/// Checks that `v` is a finite number in `lo..=hi`; the error names `field` and the bounds.
pub(crate) fn within(field: &str, v: f64, lo: f64, hi: f64) -> Result<f64, String> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{field} {} is outside {}..={}", show(v), show(lo), show(hi)))
    }
}

/// A number as a person reads it: exponent notation past 1e15 (`1.8446744073709552e19`).
fn show(x: f64) -> String {
    if x.abs() >= 1e15 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Largest byte count a node can report (u64 on the node).
pub const MAX_BYTES: f64 = 18_446_744_073_709_551_615.0;
/// Largest size in MB a node can report (an exabyte; memory and VRAM are far below).
pub const MAX_MB: f64 = 1e12;
