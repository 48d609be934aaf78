//! Tool arguments: untrusted, checked against the schema and beyond it, with errors that
//! name the field and say what is accepted.

use crate::json::kind;
use crate::node::workload::State;
use crate::placement::Strategy;
use serde_json::{Map, Value};

/// Most GPUs one workload may ask for.
pub const MAX_GPUS: u64 = 16;

/// Reads one tool's arguments.
pub struct Args<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    /// Checks that `v` is an object whose keys are all in `accepted`.
    pub fn of(v: &'a Value, accepted: &[&str]) -> Result<Self, String> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let map = match v {
            Value::Object(m) => m,
            Value::Null => EMPTY.get_or_init(Map::new),
            other => return Err(format!("arguments must be an object, got {}", kind(other))),
        };
        if let Some(k) = map.keys().find(|k| !accepted.contains(&k.as_str())) {
            return Err(format!("unknown argument {k:?}; accepted: {}", accepted.join(", ")));
        }
        Ok(Self { map })
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An optional non-empty string of at most `max` characters.
    pub fn text(&self, key: &str, max: usize) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max && !s.contains('\0') => {
                Ok(Some(s))
            }
            Some(Value::String(_)) => Err(format!("{key} must be a non-empty string of at most {max} characters")),
            Some(v) => Err(format!("{key} must be a string, got {}", kind(v))),
        }
    }

    /// A required non-empty string.
    pub fn required_text(&self, key: &str, max: usize) -> Result<&'a str, String> {
        self.text(key, max)?.ok_or_else(|| format!("{key} is required"))
    }

    /// An optional boolean (absent: false).
    pub fn flag(&self, key: &str) -> Result<bool, String> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(format!("{key} must be true or false, got {}", kind(v))),
        }
    }

    /// An optional whole number in `lo..=hi`.
    pub fn whole(&self, key: &str, lo: u64, hi: u64) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64().filter(|n| (lo..=hi).contains(n)) {
                Some(n) => Ok(Some(n)),
                None => Err(format!("{key} must be a whole number from {lo} to {hi}, got {v}")),
            },
        }
    }

    /// An optional number in `(0, hi]`.
    pub fn positive(&self, key: &str, hi: f64) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64().filter(|x| *x > 0.0 && *x <= hi) {
                Some(x) => Ok(Some(x)),
                None => Err(format!("{key} must be a number above 0 and at most {hi}, got {v}")),
            },
        }
    }

    /// An optional array of strings, at most `max` items.
    pub fn strings(&self, key: &str, max: usize) -> Result<Option<Vec<String>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                if items.len() > max {
                    return Err(format!("{key} may hold at most {max} items, got {}", items.len()));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::String(s) if !s.contains('\0') && s.len() <= 4096 => Ok(s.clone()),
                        Value::String(_) => Err(format!("{key}[{i}] must be at most 4096 characters, without NUL")),
                        other => Err(format!("{key}[{i}] must be a string, got {}", kind(other))),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            }
            Some(Value::String(s)) => Err(format!("{key} must be an array of strings, e.g. [{:?}], got a string", s)),
            Some(v) => Err(format!("{key} must be an array of strings, got {}", kind(v))),
        }
    }

    /// An optional JSON object.
    pub fn object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, String> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err(format!("{key} must be a JSON object such as {{}}, got {}", kind(v))),
        }
    }

    /// The raw value of `key`.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.get(key)
    }
}

/// Checks a container image reference (`[registry[:port]/]path[:tag][@sha256:…]`).
pub fn image(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("image {s:?} is not a valid image reference: {why}"));
    if s.len() > 255 {
        return bad("longer than 255 characters");
    }
    if s.starts_with('-') {
        return bad("it starts with '-'");
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains white space");
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d
            .strip_prefix("sha256:")
            .is_some_and(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        if !ok {
            return bad("the digest must be sha256: and 64 lowercase hex digits");
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest.get(last_slash..).and_then(|tail| tail.find(':')) {
        Some(i) => (rest.get(..last_slash + i).unwrap_or(rest), rest.get(last_slash + i + 1..)),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return bad("the tag may use letters, digits, '_', '.' and '-' (not first), up to 128");
        }
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 && parts.first().is_some_and(|h| h.contains(['.', ':']) || *h == "localhost") {
        let host = parts.remove(0);
        let (name, port) = host.split_once(':').map_or((host, None), |(h, p)| (h, Some(p)));
        let host_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return bad("the registry host is malformed");
        }
    }
    for p in parts {
        let ok = !p.is_empty()
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
            && p.starts_with(|c: char| c.is_ascii_alphanumeric())
            && p.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return bad("path components are lowercase letters, digits and '.', '_', '-' inside");
        }
    }
    Ok(())
}

/// Reads a memory size such as `8g`, `512m`, `1024k` into MB.
pub fn memory_mb(key: &str, s: &str) -> Result<f64, String> {
    let lower = s.to_ascii_lowercase();
    // Split before the last character, not the last byte: `split_at` panics inside a
    // multi-byte character (`"8é"`), which would trap the wasm module.
    let cut = lower.char_indices().last().map_or(0, |(i, _)| i);
    let (digits, unit) = lower.split_at_checked(cut).unwrap_or(("", ""));
    let n: u64 = match digits.parse() {
        Ok(n) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && n > 0 => n,
        _ => return Err(format!("{key} must be a size like \"8g\", \"512m\" or \"1024k\", got {s:?}")),
    };
    let mb = match unit {
        "g" => n as f64 * 1024.0,
        "m" => n as f64,
        "k" => n as f64 / 1024.0,
        "b" => n as f64 / 1024.0 / 1024.0,
        _ => return Err(format!("{key} must be a size like \"8g\", \"512m\" or \"1024k\", got {s:?}")),
    };
    if mb > 64.0 * 1024.0 * 1024.0 {
        return Err(format!("{key} {s:?} is larger than 64 TB"));
    }
    Ok(mb)
}

/// Turns `env` (an object of scalars, or an array of `KEY=VALUE`) into `KEY=VALUE` strings.
pub fn env(v: &Value) -> Result<Vec<String>, String> {
    let check_key = |k: &str| {
        let ok = k.len() <= 256
            && k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(())
        } else {
            Err(format!("env key {k:?} must be letters, digits and '_', not starting with a digit"))
        }
    };
    let check_value = |k: &str, val: &str| {
        if val.contains('\0') || val.len() > 32 * 1024 {
            Err(format!("env {k}: the value must be at most 32 KB, without NUL"))
        } else {
            Ok(())
        }
    };
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, val)| {
                check_key(k)?;
                let text = match val {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => return Err(format!("env {k} must be a string, number or boolean, got {}", kind(other))),
                };
                check_value(k, &text)?;
                Ok(format!("{k}={text}"))
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let s = item
                    .as_str()
                    .ok_or_else(|| format!("env items must be \"KEY=VALUE\" strings, got {}", kind(item)))?;
                let (k, val) = s.split_once('=').ok_or_else(|| format!("env item {s:?} must be KEY=VALUE"))?;
                check_key(k)?;
                check_value(k, val)?;
                Ok(s.to_owned())
            })
            .collect(),
        other => Err(format!("env must be an object like {{\"EPOCHS\": \"3\"}}, got {}", kind(other))),
    }
}

/// Checks a volume mapping `host:container[:ro|rw]`.
pub fn volume(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("volume {s:?} {why}"));
    if s.contains(char::is_whitespace) {
        return bad("must not contain white space");
    }
    let parts: Vec<&str> = s.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [a, b] => (*a, *b, None),
        [a, b, c] => (*a, *b, Some(*c)),
        _ => return bad("must be host:container or host:container:ro"),
    };
    let is_named = src.starts_with(|c: char| c.is_ascii_alphanumeric())
        && src.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let is_path = |p: &str| p.starts_with('/') && !p.split('/').any(|seg| seg == "..") && !p.contains(char::is_control);
    if !(is_named || is_path(src)) {
        return bad("must name an absolute host path or a volume name as its source");
    }
    let is_root = src.starts_with('/') && src.split('/').all(|seg| seg.is_empty() || seg == ".");
    // The folders that hold the container engine's socket or state give the same power as it.
    let normalised: Vec<&str> = src.split('/').filter(|seg| !seg.is_empty() && *seg != ".").collect();
    let engine = matches!(
        normalised.as_slice(),
        ["var"] | ["run"] | ["var", "run"] | ["var", "lib", "docker"] | ["run", "docker"]
    );
    if is_root || engine || src.contains("docker.sock") {
        return bad("would give the container the host's root or its container engine");
    }
    if !is_path(dst) {
        return bad("must name an absolute container path");
    }
    if let Some(o) = opts {
        if !o.split(',').all(|x| matches!(x, "ro" | "rw" | "z" | "Z")) {
            return bad("options may be ro, rw, z, Z");
        }
    }
    Ok(())
}

/// Checks a container name.
pub fn container_name(s: &str) -> Result<(), String> {
    let ok = s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("name {s:?} must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit"))
    }
}

/// Reads a workload state filter.
pub fn state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| {
        let all: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        format!("state must be one of {}, got {s:?}", all.join(", "))
    })
}

/// Reads a placement strategy.
pub fn strategy(s: &str) -> Result<Strategy, String> {
    match s {
        "binpack" => Ok(Strategy::Binpack),
        "spread" => Ok(Strategy::Spread),
        _ => Err(format!("strategy must be \"binpack\" or \"spread\", got {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn images_accept_real_references_and_refuse_flags() {
        for ok in [
            "pytorch/pytorch:2.0",
            "nvcr.io/nvidia/pytorch:24.01-py3",
            "localhost:5000/a/b",
            "ubuntu",
            "ghcr.io/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            image("--privileged").unwrap_err(),
            "image \"--privileged\" is not a valid image reference: it starts with '-'"
        );
        assert!(image("ubuntu --rm").unwrap_err().contains("white space"));
        assert!(image("Ubuntu").unwrap_err().contains("lowercase"));
        assert!(image("ubuntu:").unwrap_err().contains("tag"));
    }

    #[test]
    fn memory_sizes_convert_to_mb() {
        assert_eq!(memory_mb("memory", "8g"), Ok(8192.0));
        assert_eq!(memory_mb("memory", "512M"), Ok(512.0));
        assert_eq!(
            memory_mb("memory", "8gb").unwrap_err(),
            "memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"8gb\""
        );
        assert!(memory_mb("memory", "0g").is_err());
        assert!(memory_mb("memory", "-1g").is_err());
    }

    #[test]
    fn env_objects_become_key_value_strings() {
        assert_eq!(
            env(&json!({"EPOCHS": "3", "LR": 0.1, "DEBUG": true})),
            Ok(vec!["DEBUG=true".into(), "EPOCHS=3".into(), "LR=0.1".into()])
        );
        assert_eq!(env(&json!(["A=1"])), Ok(vec!["A=1".into()]));
        assert_eq!(
            env(&json!({"1X": "a"})).unwrap_err(),
            "env key \"1X\" must be letters, digits and '_', not starting with a digit"
        );
        assert_eq!(
            env(&json!({"A": {"b": 1}})).unwrap_err(),
            "env A must be a string, number or boolean, got an object"
        );
    }

    #[test]
    fn volumes_refuse_escapes() {
        assert_eq!(volume("/data:/data"), Ok(()));
        assert_eq!(volume("cache:/root/.cache:ro"), Ok(()));
        assert!(volume("/:/host").is_err());
        assert!(volume("/var/run/docker.sock:/var/run/docker.sock").is_err());
        assert!(volume("/var/run:/host-run").is_err());
        assert!(volume("/run/:/r").is_err());
        assert!(volume("/var/lib/docker:/d").is_err());
        assert_eq!(volume("/var/log/app:/logs:ro"), Ok(()));
        assert!(volume("--privileged").is_err());
        assert!(volume("/a/../etc:/x").is_err());
        assert!(volume("/a:/b:rw,exec").is_err());
    }
}
