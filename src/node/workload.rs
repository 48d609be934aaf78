//! `workload.list` and `workload.run`: containers on one node, and Docker's status text.

use crate::json::Fields;
use serde::Serialize;
use serde_json::Value;

/// A container as `workload.list` reports it (`docker ps -a`).
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// Short container id (12 hex).
    pub container_id: String,
    /// Image reference.
    pub image: String,
    /// Docker's status text, verbatim.
    pub status: String,
    /// Container name.
    pub name: String,
}

/// A container's state, normalised from Docker's status text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// `Up …`.
    Running,
    /// `Exited (code) …`.
    Exited,
    /// `Created`.
    Created,
    /// `Restarting (code) …`.
    Restarting,
    /// `Paused` or `Up … (Paused)`.
    Paused,
    /// `Dead`.
    Dead,
    /// Anything else (`Removal In Progress`, text from another runtime).
    Unknown,
}

impl State {
    /// Every state, in the order counts are shown.
    pub const ALL: [State; 7] =
        [State::Running, State::Exited, State::Created, State::Restarting, State::Paused, State::Dead, State::Unknown];

    /// The state's name as tools show and accept it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Exited => "exited",
            State::Created => "created",
            State::Restarting => "restarting",
            State::Paused => "paused",
            State::Dead => "dead",
            State::Unknown => "unknown",
        }
    }

    /// The state named `s`, if any.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Reads Docker's status text: the state and, where Docker gives one, the exit code.
pub fn classify(status: &str) -> (State, Option<i64>) {
    let s = status.trim();
    let code = || {
        let open = s.find('(')?;
        let close = s.get(open + 1..)?.find(')')? + open + 1;
        s.get(open + 1..close)?.trim().parse::<i64>().ok()
    };
    if let Some(rest) = s.strip_prefix("Up") {
        if rest.contains("(Paused)") {
            return (State::Paused, None);
        }
        return (State::Running, None);
    }
    if s.starts_with("Exited") {
        return (State::Exited, code());
    }
    if s.starts_with("Restarting") {
        return (State::Restarting, code());
    }
    match s {
        "Created" => (State::Created, None),
        "Paused" => (State::Paused, None),
        "Dead" => (State::Dead, None),
        _ => (State::Unknown, None),
    }
}

/// Parses a `workload.list` payload (`{count, workloads[], runtime}`).
pub fn parse_list(v: &Value) -> Result<Vec<Container>, String> {
    parse_list_fields(v).map_err(super::in_command("workload.list"))
}

fn parse_list_fields(v: &Value) -> Result<Vec<Container>, String> {
    let f = Fields::of(v, "")?;
    let mut out = Vec::new();
    for (i, w) in f.arr("workloads")?.iter().enumerate() {
        let at = format!("workloads[{i}]");
        let w = Fields::of(w, &at)?;
        out.push(Container {
            container_id: w.str("containerId")?.to_owned(),
            image: w.opt_str("image")?.unwrap_or_default().to_owned(),
            status: w.opt_str("status")?.unwrap_or_default().to_owned(),
            name: w.opt_str("name")?.unwrap_or_default().to_owned(),
        });
    }
    Ok(out)
}

/// What `workload.run` answers when it started a container.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    /// Full container id (64 hex).
    pub container_id: String,
    /// The node's workload id (uuid).
    pub workload_id: String,
    /// Container name.
    pub name: String,
}

/// Parses a `workload.run` payload; `success: false` is an error.
pub fn parse_run(v: &Value) -> Result<Started, String> {
    parse_run_fields(v).map_err(super::in_command("workload.run"))
}

fn parse_run_fields(v: &Value) -> Result<Started, String> {
    let f = Fields::of(v, "")?;
    if f.raw("success").and_then(Value::as_bool) == Some(false) {
        return Err("the node answered success: false".to_owned());
    }
    Ok(Started {
        container_id: f.str("containerId")?.to_owned(),
        workload_id: f.opt_str("workloadId")?.unwrap_or_default().to_owned(),
        name: f.opt_str("name")?.unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_status_text_gives_state_and_exit_code() {
        let cases = [
            ("Up 5 minutes", State::Running, None),
            ("Up 2 hours (healthy)", State::Running, None),
            ("Up 3 hours (Paused)", State::Paused, None),
            ("Exited (0) 2 hours ago", State::Exited, Some(0)),
            ("Exited (137) 5 seconds ago", State::Exited, Some(137)),
            ("Created", State::Created, None),
            ("Restarting (1) 4 seconds ago", State::Restarting, Some(1)),
            ("Paused", State::Paused, None),
            ("Dead", State::Dead, None),
            ("Removal In Progress", State::Unknown, None),
            ("", State::Unknown, None),
            ("Exited (", State::Exited, None),
        ];
        for (text, state, code) in cases {
            assert_eq!(classify(text), (state, code), "{text}");
        }
    }
}
