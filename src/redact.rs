//! Keeps secret values nodes return (`secret.get` data, `auth.create_key` secrets, anything
//! named like a credential) out of tool results unless the operator allows them.

use serde_json::Value;

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted: set multiInvoke.revealSecrets to show]";

/// Whether a key or variable name looks like it holds a credential (`password`, `HF_TOKEN`, …).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "passwd", "token", "apikey", "api_key", "privatekey", "private_key", "credential"]
        .iter()
        .any(|w| k.contains(w))
}

/// `s` with the password of every URL that carries one (`postgres://user:pw@host/db`) replaced
/// by `[redacted]`; the user and the rest stay.
pub fn url_passwords(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail.find(['/', '?', '#', ' ', '"', '\'']).unwrap_or(tail.len());
        let authority = tail.get(..authority_end).unwrap_or("");
        match authority.rfind('@').and_then(|at| authority.get(..at)).and_then(|info| info.split_once(':')) {
            Some((user, _)) => {
                let at = authority.rfind('@').unwrap_or(0);
                out.push_str(user);
                out.push_str(":[redacted]");
                rest = tail.get(at..).unwrap_or("");
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Replaces secret values in a payload of `command`, in place.
pub fn redact(command: &str, v: &mut Value) {
    if command == "secret.get" {
        if let Some(Value::Object(data)) = v.get_mut("data") {
            for val in data.values_mut() {
                *val = Value::String(REDACTED.to_owned());
            }
        }
    }
    scrub(v, 0);
}

/// A log line with the value of every `NAME=value` or `name: value` whose name looks like a
/// credential replaced.
pub fn line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['=', ':']) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let name = head.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')).next();
        let sep = tail.get(..1).unwrap_or("");
        out.push_str(sep);
        let after = tail.get(1..).unwrap_or("");
        if name.is_some_and(|n| !n.is_empty() && is_secret_key(n)) {
            let lead = after.len() - after.trim_start().len();
            let value_end =
                after.get(lead..).and_then(|v| v.find(char::is_whitespace)).map_or(after.len(), |e| e + lead);
            out.push_str(after.get(..lead).unwrap_or(""));
            out.push_str("[redacted]");
            rest = after.get(value_end..).unwrap_or("");
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn scrub(v: &mut Value, depth: usize) {
    if depth > 64 {
        // Too deep to walk: hide the rest rather than let a credential through unread.
        *v = Value::String(REDACTED.to_owned());
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if is_secret_key(k) && matches!(val, Value::String(_) | Value::Number(_)) {
                    *val = Value::String(REDACTED.to_owned());
                } else {
                    scrub(val, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| scrub(i, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_passwords_are_hidden_and_the_rest_kept() {
        assert_eq!(
            url_passwords("DATABASE_URL=postgres://app:s3cr@t:x@db.internal:5432/prod?ssl=1"),
            "DATABASE_URL=postgres://app:[redacted]@db.internal:5432/prod?ssl=1"
        );
        assert_eq!(
            url_passwords("a https://u:p@h/x and redis://:pw@cache:6379 and http://plain.host/p@th"),
            "a https://u:[redacted]@h/x and redis://:[redacted]@cache:6379 and http://plain.host/p@th"
        );
        assert_eq!(url_passwords("s3://bucket/key user@host ://"), "s3://bucket/key user@host ://");
    }

    #[test]
    fn log_lines_lose_credential_values_only() {
        assert_eq!(line("HF_TOKEN=abc123 EPOCHS=3"), "HF_TOKEN=[redacted] EPOCHS=3");
        assert_eq!(line("error: password: hunter2 rejected"), "error: password: [redacted] rejected");
        assert_eq!(line("CUDA error: no device"), "CUDA error: no device");
    }

    #[test]
    fn secret_values_are_replaced_and_the_rest_kept() {
        let mut v = json!({"name": "db", "data": {"username": "admin", "password": "s3cret"}, "keyVersion": 1});
        redact("secret.get", &mut v);
        assert_eq!(v, json!({"name": "db", "data": {"username": REDACTED, "password": REDACTED}, "keyVersion": 1}));
        let mut k = json!({"keyId": "claw-1", "secret": "be4b", "scopes": ["deploy.*"]});
        redact("auth.create_key", &mut k);
        assert_eq!(k, json!({"keyId": "claw-1", "secret": REDACTED, "scopes": ["deploy.*"]}));
    }
}
