//! Tool parameters, defined once: each tool lists its [`Param`]s, from which come the JSON
//! schema the host shows the agent, the accepted keys, the limits, and the first check of the
//! untrusted arguments (errors name the field and say what is accepted).

use crate::error::{invalid, Error};
use crate::json::kind;
use serde_json::{json, Map, Value};

/// What a parameter holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A non-empty string of at most `max` characters, matching `pattern` (a JSON-schema
    /// regex shown to the host; the tool checks the same rule itself) when given.
    Text { max: usize, pattern: Option<&'static str> },
    /// A whole number in `min..=max`.
    Int { min: u64, max: u64 },
    /// A number in `min..=max`.
    Number { min: f64, max: f64 },
    /// `true` or `false`.
    Bool,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An array of at most `max` strings (each at most 4096 characters).
    Strings { max: usize },
    /// A command's argument vector: like [`Kind::Strings`], run as given, without a shell.
    Argv { max: usize },
    /// A JSON object.
    Object,
    /// Environment: an object of scalars, or an array of `KEY=VALUE` strings.
    Env,
}

/// One parameter of a tool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// Its key in the arguments.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether it must be given.
    pub required: bool,
    /// What it means, with an example (shown to the agent).
    pub description: &'static str,
}

impl Param {
    /// An optional parameter.
    pub const fn opt(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self { name, kind, required: false, description }
    }

    /// A required parameter.
    pub const fn req(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self { name, kind, required: true, description }
    }

    fn schema(&self) -> Value {
        let mut s = match self.kind {
            Kind::Text { max, pattern } => {
                let mut s = json!({"type": "string", "minLength": 1, "maxLength": max});
                if let (Some(p), Some(o)) = (pattern, s.as_object_mut()) {
                    o.insert("pattern".into(), json!(p));
                }
                s
            }
            Kind::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
            Kind::Number { min, max } => json!({"type": "number", "minimum": min, "maximum": max}),
            Kind::Bool => json!({"type": "boolean"}),
            Kind::OneOf(values) => json!({"type": "string", "enum": values}),
            Kind::Strings { max } | Kind::Argv { max } => {
                json!({"type": "array", "items": {"type": "string"}, "maxItems": max})
            }
            Kind::Object => json!({"type": "object"}),
            Kind::Env => json!({"anyOf": [
                {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
                {"type": "array", "items": {"type": "string"}}
            ]}),
        };
        if let Some(o) = s.as_object_mut() {
            o.insert("description".into(), json!(self.description));
        }
        s
    }

    fn check(&self, v: &Value) -> Result<(), Error> {
        let key = self.name;
        match (self.kind, v) {
            (Kind::Text { .. }, Value::String(s)) if s.contains('\0') => {
                return Err(invalid(format!("{key} must not contain a NUL character")));
            }
            (Kind::Text { max, .. }, Value::String(s)) => {
                if s.trim().is_empty() || s.chars().count() > max {
                    return Err(invalid(format!("{key} must be a non-empty string of at most {max} characters")));
                }
            }
            (Kind::Int { min, max }, v) => {
                if !v.as_u64().is_some_and(|n| (min..=max).contains(&n)) {
                    return Err(invalid(format!("{key} must be a whole number from {min} to {max}, got {v}")));
                }
            }
            (Kind::Number { min, max }, v) => {
                if !v.as_f64().is_some_and(|x| (min..=max).contains(&x)) {
                    return Err(invalid(format!("{key} must be a number from {min} to {max}, got {v}")));
                }
            }
            (Kind::Bool, Value::Bool(_)) | (Kind::Object, Value::Object(_)) => {}
            (Kind::Bool, v) => return Err(invalid(format!("{key} must be true or false, got {}", kind(v)))),
            (Kind::Object, v) => {
                return Err(invalid(format!("{key} must be a JSON object such as {{}}, got {}", kind(v))))
            }
            (Kind::OneOf(values), v) => {
                if !v.as_str().is_some_and(|s| values.contains(&s)) {
                    let list: Vec<String> = values.iter().map(|s| format!("{s:?}")).collect();
                    return Err(invalid(format!("{key} must be one of {}, got {v}", list.join(", "))));
                }
            }
            (Kind::Strings { max } | Kind::Argv { max }, Value::Array(items)) => {
                if items.len() > max {
                    return Err(invalid(format!("{key} may hold at most {max} items, got {}", items.len())));
                }
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if !s.contains('\0') && s.len() <= 4096 => {}
                        Value::String(_) => {
                            return Err(invalid(format!("{key}[{i}] must be at most 4096 characters, without NUL")))
                        }
                        other => return Err(invalid(format!("{key}[{i}] must be a string, got {}", kind(other)))),
                    }
                }
            }
            (Kind::Strings { .. }, Value::String(s)) => return Err(invalid(strings_from_text(key, s))),
            (Kind::Argv { .. }, Value::String(s)) => return Err(invalid(argv_from_text(key, s))),
            (Kind::Text { .. } | Kind::Strings { .. } | Kind::Argv { .. }, v) => {
                let what = if matches!(self.kind, Kind::Text { .. }) { "a string" } else { "an array of strings" };
                return Err(invalid(format!("{key} must be {what}, got {}", kind(v))));
            }
            (Kind::Env, Value::Object(_) | Value::Array(_)) => {}
            (Kind::Env, v) => {
                return Err(invalid(format!(
                    "{key} must be an object like {{\"EPOCHS\": \"3\"}} or an array like [\"EPOCHS=3\"], got {}",
                    kind(v)
                )))
            }
        }
        Ok(())
    }
}

/// The error for a list given as the JSON text of an array of strings: pass the array itself.
fn json_text_of_strings(key: &str, s: &str) -> Option<String> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Array(items)) if items.iter().all(Value::is_string) => Some(format!(
            "{key} must be an array of strings, not JSON text: pass the array itself, {}",
            Value::Array(items)
        )),
        _ => None,
    }
}

/// The error for a list parameter given as one string, with a fix that is right when copied
/// literally: JSON text of an array becomes that array; other text becomes a one-item array.
fn strings_from_text(key: &str, s: &str) -> String {
    if let Some(e) = json_text_of_strings(key, s) {
        return e;
    }
    let one = Value::Array(vec![Value::String(s.to_owned())]);
    format!("{key} must be an array of strings, e.g. {one}, got a string")
}

/// Characters whose meaning a shell would change (quotes, expansions, operators, globs).
const SHELL_SYNTAX: &[char] =
    &['\'', '"', '\\', '$', '`', '|', '&', ';', '<', '>', '(', ')', '*', '?', '[', ']', '{', '}', '~', '#', '!'];

/// The error for a command given as one string, with a fix that runs the same when copied
/// literally: the node passes each item as one argument, without a shell (`docker run IMAGE
/// ARG…`), so plain words become one item each, and text that needs a shell (quotes,
/// redirections, a leading `VAR=value`) is handed to `sh -c`.
fn argv_from_text(key: &str, s: &str) -> String {
    if let Some(e) = json_text_of_strings(key, s) {
        return e;
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    let example: Vec<&str> = match words.first() {
        None => vec!["python", "train.py"],
        Some(first) if !s.contains(SHELL_SYNTAX) && !first.contains('=') => words,
        Some(_) => vec!["sh", "-c", s],
    };
    format!(
        "{key} must be an array of strings, one per argument (the node runs it without a shell), e.g. {}, got a string",
        json!(example)
    )
}

/// A tool, defined once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Def {
    /// Its name (`contracts.tools` in the manifest lists the same).
    pub name: &'static str,
    /// A short label for people.
    pub label: &'static str,
    /// What it does and when to use it (shown to the agent).
    pub description: &'static str,
    /// Its parameters.
    pub params: &'static [Param],
}

impl Def {
    /// The tool as `api.registerTool` wants it (without `execute`).
    pub fn schema(&self) -> Value {
        let properties: Map<String, Value> = self.params.iter().map(|p| (p.name.to_owned(), p.schema())).collect();
        let required: Vec<&str> = self.params.iter().filter(|p| p.required).map(|p| p.name).collect();
        json!({
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "parameters": {"type": "object", "additionalProperties": false, "properties": properties, "required": required},
        })
    }
}

/// One call's arguments, checked against the tool's parameters.
pub struct Args<'a> {
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Args<'a> {
    /// Checks `v` against `def`: an object (or null) whose keys are all parameters, each of
    /// the right kind and within its limits, with every required one present.
    pub fn of(v: &'a Value, def: &Def) -> Result<Self, Error> {
        let map = match v {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => return Err(invalid(format!("arguments must be an object, got {}", kind(other)))),
        };
        for (k, val) in map.into_iter().flatten() {
            let Some(p) = def.params.iter().find(|p| p.name == k) else {
                let accepted: Vec<&str> = def.params.iter().map(|p| p.name).collect();
                return Err(invalid(format!("unknown argument {k:?}; accepted: {}", accepted.join(", "))));
            };
            if !val.is_null() {
                p.check(val)?;
            }
        }
        let args = Self { map };
        if let Some(p) = def.params.iter().find(|p| p.required && args.raw(p.name).is_none()) {
            return Err(invalid(format!("{} is required", p.name)));
        }
        Ok(args)
    }

    /// The value of `key`, `None` when absent or null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    /// A text parameter.
    pub fn text(&self, key: &str) -> Option<&'a str> {
        self.raw(key).and_then(Value::as_str)
    }

    /// A whole-number parameter.
    pub fn int(&self, key: &str) -> Option<u64> {
        self.raw(key).and_then(Value::as_u64)
    }

    /// A number parameter.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.raw(key).and_then(Value::as_f64)
    }

    /// A boolean parameter (absent: false).
    pub fn flag(&self, key: &str) -> bool {
        self.raw(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// A string-list parameter.
    pub fn strings(&self, key: &str) -> Option<Vec<String>> {
        self.raw(key).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    }

    /// An object parameter.
    pub fn object(&self, key: &str) -> Option<&'a Map<String, Value>> {
        self.raw(key).and_then(Value::as_object)
    }
}
