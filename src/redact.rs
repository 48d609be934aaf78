//! Keeps secret values nodes return (`secret.get` data, `auth.create_key` secrets, anything
//! named like a credential) out of tool results unless the operator allows them.

use serde_json::value::RawValue;
use serde_json::Value;

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted: set multiInvoke.revealSecrets to show]";

/// Words whose presence in a key (any case) marks its value as a credential.
const SECRET_WORDS: [&[u8]; 9] =
    [b"secret", b"password", b"passwd", b"token", b"apikey", b"api_key", b"privatekey", b"private_key", b"credential"];

/// Whether `text` holds one of [`SECRET_WORDS`] in any case. No allocation (a payload has many
/// keys): a position is compared only when its two letters start a word (`se`, `pa`, `to`, `ap`,
/// `pr`, `cr`; `| 0x20` lowercases ASCII letters and maps no other byte onto one).
fn has_secret_word(text: &[u8]) -> bool {
    text.windows(2).enumerate().any(|(i, pair)| {
        let [a, b] = pair else { return false };
        matches!(
            (a | 0x20, b | 0x20),
            (b's', b'e') | (b'p', b'a') | (b't', b'o') | (b'a', b'p') | (b'p', b'r') | (b'c', b'r')
        ) && SECRET_WORDS.iter().any(|w| text.get(i..i + w.len()).is_some_and(|t| t.eq_ignore_ascii_case(w)))
    })
}

/// Whether a key or variable name looks like it holds a credential (`password`, `HF_TOKEN`, …).
pub fn is_secret_key(key: &str) -> bool {
    has_secret_word(key.as_bytes())
}

/// Deepest nesting [`scrub`] walks; anything deeper is hidden.
const MAX_DEPTH: usize = 64;

/// Whether [`redact`] could change the JSON `text`: a key holds a secret word, there is a
/// backslash (an escape could spell a key), or nesting is deeper than [`MAX_DEPTH`]. `false`
/// means no key is a credential's, so the text can be kept as it is. Only keys are read: a
/// value is redacted only under a secret key.
fn may_hold_secrets(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.contains(&b'\\') {
        return true;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // without backslashes a string ends at the next quote; a key is followed by a colon
                let rest = bytes.get(i + 1..).unwrap_or_default();
                let Some(len) = rest.iter().position(|&c| c == b'"') else { return true };
                let after = rest.get(len + 1..).unwrap_or_default();
                let key = after.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b':');
                if key && rest.get(..len).is_some_and(has_secret_word) {
                    return true;
                }
                i += len + 2;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// A node's JSON payload of `command` as it goes into a result: secret values replaced unless
/// `reveal`. A payload nothing in which could be a secret is kept as the node's text (checked
/// to be JSON), not parsed into a tree and written again. The error is serde's, for a payload
/// that is not JSON.
pub fn redacted(command: &str, text: String, reveal: bool) -> Result<Box<RawValue>, serde_json::Error> {
    if reveal || (command != "secret.get" && !may_hold_secrets(&text)) {
        if let Ok(raw) = RawValue::from_string(text.clone()) {
            return Ok(raw);
        }
    }
    let mut v: Value = serde_json::from_str(&text)?;
    if !reveal {
        redact(command, &mut v);
    }
    serde_json::value::to_raw_value(&v)
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
    if depth > MAX_DEPTH {
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
    fn secret_words_in_any_case_anywhere_in_a_key() {
        for k in ["HF_TOKEN", "dbPassword", "Api_Key", "x-private_key", "CREDENTIALS", "client_secret", "passwd"] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["utilization_percent", "memory_total_mb", "uuid", "tokn", "pass", "cred", "", "s"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn payloads_with_nothing_secret_stay_as_sent_and_the_rest_are_redacted() {
        let plain = r#"{"count":1,"metrics":[{"index":0,"power_limit_w":700,"uuid":"GPU-1"}]}"#;
        assert_eq!(redacted("gpu.metrics", plain.to_owned(), false).unwrap().get(), plain);
        // a secret word, an escape that could spell one, or nesting past the walk: parsed and scrubbed
        // a secret word in a value only: nothing to hide
        let value = r#"{"note":"rotate the password","n":1}"#;
        assert_eq!(redacted("x.y", value.to_owned(), false).unwrap().get(), value);
        let token = r#"{"apiToken":"abc","n":1}"#;
        assert_eq!(
            redacted("x.y", token.to_owned(), false).unwrap().get(),
            format!(r#"{{"apiToken":"{REDACTED}","n":1}}"#)
        );
        let escaped = r#"{"pass\u0077ord":"hunter2"}"#;
        assert_eq!(
            redacted("x.y", escaped.to_owned(), false).unwrap().get(),
            format!(r#"{{"password":"{REDACTED}"}}"#)
        );
        let deep = format!("{}1{}", "[".repeat(66), "]".repeat(66));
        let out = redacted("x.y", deep, false).unwrap();
        assert!(out.get().contains(REDACTED) && !out.get().contains('1'), "{}", out.get());
        // revealSecrets: kept as sent
        assert_eq!(redacted("x.y", token.to_owned(), true).unwrap().get(), token);
        // not JSON: serde's error either way
        assert_eq!(
            redacted("x.y", r#"{"a":1"#.to_owned(), false).unwrap_err().to_string(),
            "EOF while parsing an object at line 1 column 6"
        );
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
