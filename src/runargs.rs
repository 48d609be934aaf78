//! What the container runtime accepts for `workload.run`'s parameters (pure). clawnode passes
//! them to `docker run` / `podman run` verbatim, so the runtime's own rules apply: the checks
//! here refuse exactly what it would refuse, plus what would be unsafe (volumes that hand a
//! container the host or its container engine, env entries without `=`, which docker fills
//! from clawnode's own environment), and every fix they propose is right when copied.

use crate::error::{invalid, Error};
use crate::json::kind;
use serde_json::Value;

/// Docker's smallest memory limit (`Minimum memory limit allowed is 6MB`).
pub const MIN_MEMORY_MB: f64 = 6.0;

/// A size as Docker reads it (`docker run --memory/--shm-size`: go-units `RAMInBytes`, the
/// parser Docker 23 and later use): a non-negative number as Go's ParseFloat reads it (`1.5`,
/// `.5`, `32.`, `1e3`), optionally one space, then nothing (bytes) or a unit — `b`, or `k`, `m`, `g`, `t`, `p`
/// alone or followed by `b` or `ib`, in any case (`8g`, `8GB`, `512mb`, `16GiB`); `16Gi` is
/// refused, as Docker refuses it. Units are binary (1k = 1024) and the byte count is truncated,
/// as Docker does. Returns the size in bytes and the same size in the plainest form every
/// clawnode path reads (`8g`, `1536m`, or whole bytes).
pub fn size(key: &str, s: &str) -> Result<(f64, String), Error> {
    let refuse = |why: &str| {
        invalid(format!(
            "{key} {s:?} is not a size Docker reads ({why}): write a number, optionally one space, then b, k, m, g, t \
             or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\""
        ))
    };
    if s.trim() != s {
        return Err(refuse("white space at its start or end"));
    }
    let (number, suffix) = match s.split_once(' ') {
        Some(parts) => parts,
        None => {
            let end = s.rfind(|c: char| c.is_ascii_digit() || c == '.').ok_or_else(|| refuse("no number"))?;
            s.split_at_checked(end + 1).ok_or_else(|| refuse("no number"))?
        }
    };
    // Docker reads the number with Go's ParseFloat: a decimal, maybe with an exponent (1e3)
    let decimal = number.chars().any(|c| c.is_ascii_digit())
        && number.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    let value: f64 = number.parse().ok().filter(|_| decimal).ok_or_else(|| refuse("the number is not a decimal"))?;
    if value < 0.0 {
        return Err(refuse("a negative size"));
    }
    let suffix = suffix.to_ascii_lowercase();
    let power = match suffix.as_bytes() {
        [] | [b'b'] => 0,
        [unit] | [unit, b'b'] | [unit, b'i', b'b'] => match unit {
            b'k' => 1,
            b'm' => 2,
            b'g' => 3,
            b't' => 4,
            b'p' => 5,
            _ => return Err(refuse(&format!("unknown unit {suffix:?}"))),
        },
        _ => return Err(refuse(&format!("unknown unit {suffix:?}"))),
    };
    let bytes = (value * 1024f64.powi(power)).trunc();
    if bytes > 9.2e18 {
        return Err(invalid(format!("{key} {s:?} is larger than Docker accepts (8 EiB)")));
    }
    Ok((bytes, plainest(bytes)))
}

/// `bytes` in the largest of g, m, k that divides it exactly, else whole bytes.
fn plainest(bytes: f64) -> String {
    if bytes == 0.0 {
        return "0".to_owned();
    }
    for (unit, scale) in [("g", 1024f64.powi(3)), ("m", 1024f64.powi(2)), ("k", 1024.0)] {
        if bytes >= scale && (bytes / scale).fract() == 0.0 {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}")
}

/// Turns `env` (an object of scalars, or an array of `KEY=VALUE`) into `KEY=VALUE` strings.
/// Docker takes any name that is not empty and holds no `=` (dots included, as in
/// `discovery.type`); values may hold anything but NUL. `NVIDIA_VISIBLE_DEVICES` is refused:
/// where nvidia is the default runtime it hands the container GPUs the plugin never gave it.
pub fn env(v: &Value) -> Result<Vec<String>, Error> {
    let check = |k: &str, val: &str| -> Result<(), Error> {
        if k.is_empty() || k.contains(['=', '\0']) {
            return Err(invalid(format!("env name {k:?} must be non-empty and hold no '=' (Docker's rule)")));
        }
        if k == "NVIDIA_VISIBLE_DEVICES" {
            return Err(invalid(
                "env NVIDIA_VISIBLE_DEVICES would let the container see GPUs the plugin did not give it (the nvidia \
                 runtime reads it): ask for GPUs with gpus instead",
            ));
        }
        if val.contains('\0') || val.len() > 32 * 1024 {
            return Err(invalid(format!("env {k}: the value must be at most 32 KB, without NUL")));
        }
        Ok(())
    };
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, val)| {
                let text = match val {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(invalid(format!(
                            "env {k} must be a string, number or boolean, got {}",
                            kind(other)
                        )))
                    }
                };
                check(k, &text)?;
                Ok(format!("{k}={text}"))
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let s = item
                    .as_str()
                    .ok_or_else(|| invalid(format!("env items must be \"KEY=VALUE\" strings, got {}", kind(item))))?;
                let Some((k, val)) = s.split_once('=') else {
                    return Err(invalid(format!(
                        "env item {s:?} has no '=': Docker would copy {s}'s value from the node agent's own \
                         environment; give it its value after an equals sign"
                    )));
                };
                check(k, val)?;
                Ok(s.to_owned())
            })
            .collect(),
        other => Err(invalid(format!("env must be an object or an array, got {}", kind(other)))),
    }
}

/// Checks a container name: Docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (at least two characters).
pub fn container_name(s: &str) -> Result<(), Error> {
    let ok = s.chars().count() >= 2
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "name {s:?} is not a valid container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two or more \
             characters, starting with a letter or digit)"
        )))
    }
}

/// Checks a container image reference (`[registry[:port]/]path[:tag][@sha256:…]`): Docker's
/// reference grammar; a reference starting with `-` would be read as a flag.
pub fn image(s: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(invalid(format!("image {s:?} is not a valid image reference: {why}")));
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

/// Folders of the container engines clawnode may drive, and of their neighbours on the host.
const ENGINE_DIRS: [&str; 10] = [
    "/var/lib/docker",
    "/var/lib/containers",
    "/var/lib/containerd",
    "/run/docker",
    "/var/run/docker",
    "/run/containerd",
    "/var/run/containerd",
    "/run/podman",
    "/var/run/podman",
    "/run/crio",
];
/// Their control sockets, wherever they are bound from.
const ENGINE_SOCKETS: [&str; 4] = ["docker.sock", "podman.sock", "containerd.sock", "crio.sock"];

/// Host folders a container must not mount at all: the kernel's views of the host (`/proc/1/root`
/// is the host's root, `/dev` its raw disks, `/sys` its devices) and the host's boot files and
/// root's home.
const HOST_DIRS: [&str; 5] = ["/proc", "/sys", "/dev", "/boot", "/root"];
/// Host folders a container may mount read-only only: written, they change the host's
/// configuration or programs (cron, sudoers, ld.so.preload, binaries).
const SYSTEM_DIRS: [&str; 8] = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// Whether the path segments `path` lie in `dir` (or are it).
fn within(path: &[&str], dir: &str) -> bool {
    let d: Vec<&str> = dir.split('/').filter(|seg| !seg.is_empty()).collect();
    path.starts_with(&d)
}

/// Checks a volume mapping `host:container[:options]` (options: `ro`, `rw`, `z`, `Z`, comma
/// separated, as Docker takes them). Refuses what would hand the container the host: its root,
/// the folders holding the container engine (the power of the engine itself), the kernel's views
/// of the host (`/proc`, `/sys`, `/dev`), `/boot` and `/root`; system folders (`/etc`, `/usr`,
/// `/bin`, `/sbin`, `/lib*`) only read-only. Paths are compared as written: the plugin cannot see
/// the host's symlinks.
pub fn volume(s: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(invalid(format!("volume {s:?} {why}")));
    if s.contains(char::is_whitespace) {
        return bad("must not contain white space");
    }
    let parts: Vec<&str> = s.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [a, b] => (*a, *b, None),
        [a, b, c] => (*a, *b, Some(*c)),
        _ => return bad("must be host:container or host:container:options (options: ro, rw, z, Z)"),
    };
    let has_dots = |p: &str| p.split('/').any(|seg| seg == "..");
    if has_dots(src) || has_dots(dst) {
        return bad("must not contain \"..\": name the folder itself");
    }
    let is_named = src.starts_with(|c: char| c.is_ascii_alphanumeric())
        && src.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let is_path = |p: &str| p.starts_with('/') && !p.contains(char::is_control);
    if !(is_named || is_path(src)) {
        return bad("must name an absolute host path or a volume name as its source");
    }
    if !is_path(dst) {
        return bad("must name an absolute container path");
    }
    let options: Vec<&str> = opts.map(|o| o.split(',').collect()).unwrap_or_default();
    if !options.iter().all(|x| matches!(*x, "ro" | "rw" | "z" | "Z")) {
        return bad("options may be ro, rw, z, Z (comma separated)");
    }
    let has = |o: &str| options.contains(&o);
    if (has("ro") && has("rw")) || (has("z") && has("Z")) || options.len() > 2 {
        return bad("options conflict: give ro or rw, and z or Z, at most once each");
    }
    if is_named {
        return Ok(());
    }
    let path: Vec<&str> = src.split('/').filter(|seg| !seg.is_empty() && *seg != ".").collect();
    // The folders that hold a container engine's socket or state (docker, podman, containerd,
    // CRI-O), and what is inside them, give a container the same power as the engine itself.
    let engine = matches!(path.as_slice(), ["var"] | ["run"] | ["var", "run"])
        || ENGINE_DIRS.iter().any(|dir| within(&path, dir))
        || ENGINE_SOCKETS.iter().any(|sock| src.contains(sock));
    if path.is_empty() || engine {
        return bad("would give the container the host's root or its container engine");
    }
    if let Some(dir) = HOST_DIRS.iter().find(|dir| within(&path, dir)) {
        return bad(&format!("would give the container the host itself ({dir} is refused, and what is under it)"));
    }
    if let Some(dir) = SYSTEM_DIRS.iter().find(|dir| within(&path, dir)) {
        if !has("ro") {
            return bad(&format!(
                "would let the container change the host's system files ({dir}): mount it read-only, {src}:{dst}:ro"
            ));
        }
    }
    Ok(())
}
