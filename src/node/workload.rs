//! `workload.list` and `workload.run`: containers on one node, in both shapes a clawnode can
//! send — the CLI shape (`docker|podman ps -a` with the runtime's status text) and the
//! docker-feature shape (a `state` word, `createdAt`, `workloadId`, no status text).

use super::{checked, entries, fast, whole, Obj, Parsed, Raw};
use serde::{Deserialize, Serialize};

/// A container's state, in Docker's words (`docker inspect .State.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// `Up …`.
    Running,
    /// `Exited (code) …`.
    Exited,
    /// `Created` (podman also `Initialized`, `Configured`).
    Created,
    /// `Restarting (code) …`.
    Restarting,
    /// `Up … (Paused)` (podman `Paused`).
    Paused,
    /// `Removal In Progress` (podman `Removing`).
    Removing,
    /// `Dead`.
    Dead,
    /// Text no runtime clawnode supports prints (or the empty status Docker shows briefly).
    Unknown,
}

impl State {
    /// Every state, in the order counts are shown.
    pub const ALL: [State; 8] = [
        State::Running,
        State::Exited,
        State::Created,
        State::Restarting,
        State::Paused,
        State::Removing,
        State::Dead,
        State::Unknown,
    ];

    /// The state's name as tools show and accept it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Exited => "exited",
            State::Created => "created",
            State::Restarting => "restarting",
            State::Paused => "paused",
            State::Removing => "removing",
            State::Dead => "dead",
            State::Unknown => "unknown",
        }
    }

    /// The state named `s`, if any.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a container in this state still holds the devices given to it.
    pub fn holds_devices(self) -> bool {
        !matches!(self, State::Exited | State::Dead)
    }
}

/// A running container's health check result, from the status suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Health {
    /// `(healthy)`.
    Healthy,
    /// `(unhealthy)`.
    Unhealthy,
    /// `(health: starting)` (podman `(starting)`).
    Starting,
}

impl Health {
    /// The health's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Starting => "starting",
        }
    }
}

/// A container as `workload.list` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// Container id: 12 hex from the CLI shape, 64 from the docker-feature shape.
    pub container_id: String,
    /// Image reference.
    pub image: String,
    /// Container name (empty in the docker-feature shape).
    pub name: String,
    /// Normalised state.
    pub state: State,
    /// Health check result, for containers that have one.
    pub health: Option<Health>,
    /// Exit code, where the runtime gives one (`Exited (137) …`).
    pub exit_code: Option<i64>,
    /// The runtime's own status text (or state word), verbatim.
    pub status: String,
}

impl Container {
    /// Whether `id` (12 or 64 hex) names this container.
    pub fn has_id(&self, id: &str) -> bool {
        let (a, b) = (self.container_id.as_str(), id);
        a.len() >= 12 && b.len() >= 12 && (a.starts_with(b) || b.starts_with(a))
    }
}

/// Reads a runtime's status text (Docker's `State.String()`, podman's `ps` status): the state,
/// the health suffix and, where given, the exit code.
pub fn classify(status: &str) -> (State, Option<Health>, Option<i64>) {
    let s = status.trim();
    let code = || {
        let open = s.find('(')?;
        let close = s.get(open + 1..)?.find(')')? + open + 1;
        s.get(open + 1..close)?.trim().parse::<i64>().ok()
    };
    if s.starts_with("Up ") || s == "Up" {
        if s.contains("(Paused)") {
            return (State::Paused, None, None);
        }
        let health = if s.ends_with("(unhealthy)") {
            Some(Health::Unhealthy)
        } else if s.ends_with("(healthy)") {
            Some(Health::Healthy)
        } else if s.ends_with("(health: starting)") || s.ends_with("(starting)") {
            Some(Health::Starting)
        } else {
            None
        };
        return (State::Running, health, None);
    }
    if s.starts_with("Exited") {
        return (State::Exited, None, code());
    }
    if s.starts_with("Restarting") {
        return (State::Restarting, None, code());
    }
    let state = match s {
        "Created" | "Initialized" | "Configured" => State::Created,
        "Paused" => State::Paused,
        "Removal In Progress" | "Removing" => State::Removing,
        // A podman container being stopped still runs (and holds its devices) until it exits.
        "Stopping" => State::Running,
        "Stopped" => State::Exited,
        "Dead" => State::Dead,
        _ => State::Unknown,
    };
    (state, None, None)
}

/// Reads the docker-feature shape's state word (clawnode's own `ContainerState`, snake_case),
/// also accepting Docker's own words.
fn state_word(word: &str) -> State {
    match word.trim().to_ascii_lowercase().as_str() {
        "creating" | "created" => State::Created,
        "stopping" => State::Running,
        "stopped" => State::Exited,
        // clawnode folds Docker's dead, restarting and removing into "failed".
        "failed" => State::Dead,
        w => State::parse(w).unwrap_or(State::Unknown),
    }
}

/// The payload, its containers read as `C` (in one pass) or raw (entry by entry).
#[derive(Deserialize)]
struct ListWire<C> {
    workloads: Vec<C>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerWire {
    container_id: String,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

fn container(w: ContainerWire) -> Result<Container, String> {
    if w.container_id.trim().is_empty() {
        return Err("containerId is empty".to_owned());
    }
    let (state, health, exit_code, status) = match (w.status, w.state) {
        (Some(text), _) => {
            let (s, h, c) = classify(&text);
            (s, h, c, text)
        }
        (None, Some(word)) => (state_word(&word), None, None, word),
        (None, None) => (State::Unknown, None, None, String::new()),
    };
    Ok(Container {
        container_id: w.container_id,
        image: w.image.unwrap_or_default(),
        name: w.name.unwrap_or_default(),
        state,
        health,
        exit_code,
        status,
    })
}

/// Parses a `workload.list` payload (`{count, workloads[], runtime}`).
pub fn parse_list(text: &str) -> Result<Parsed<Vec<Container>>, String> {
    const WORKLOADS: &str = "workload.list workloads";
    let mut dropped = Vec::new();
    let value = match fast::<ListWire<Obj<ContainerWire>>>(text) {
        Some(w) => checked(WORKLOADS, w.workloads, &mut dropped, |c| container(c.0)),
        None => entries(WORKLOADS, &whole::<ListWire<Raw>>("workload.list", text)?.workloads, &mut dropped, container),
    };
    Ok(Parsed { value, dropped })
}

/// What `workload.run` answers when it started a container.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    /// Container id (64 hex from the CLI path).
    pub container_id: String,
    /// The node's workload id (uuid).
    pub workload_id: String,
    /// Container name.
    pub name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunWire {
    container_id: String,
    #[serde(default)]
    workload_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    success: Option<bool>,
}

/// Parses a `workload.run` payload; `success: false` is an error.
pub fn parse_run(text: &str) -> Result<Started, String> {
    let w: RunWire = whole("workload.run", text)?;
    if w.success == Some(false) {
        return Err("workload.run: the node answered success: false".to_owned());
    }
    Ok(Started {
        container_id: w.container_id,
        workload_id: w.workload_id.unwrap_or_default(),
        name: w.name.unwrap_or_default(),
    })
}

/// What `workload.logs` answers: the container's stdout and stderr streams.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Logs {
    /// stdout.
    pub logs: String,
    /// stderr (the daemon's error too, when the container is missing).
    pub stderr: String,
}

#[derive(Deserialize)]
struct LogsWire {
    #[serde(default)]
    logs: Option<String>,
    #[serde(default)]
    stderr: Option<String>,
}

/// Parses a `workload.logs` payload.
pub fn parse_logs(text: &str) -> Result<Logs, String> {
    let w: LogsWire = whole("workload.logs", text)?;
    Ok(Logs { logs: w.logs.unwrap_or_default(), stderr: w.stderr.unwrap_or_default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_gives_state_health_and_exit_code() {
        use Health::*;
        let cases = [
            ("Up 5 minutes", State::Running, None, None),
            ("Up 8 minutes (unhealthy)", State::Running, Some(Unhealthy), None),
            ("Up 9 seconds (health: starting)", State::Running, Some(Starting), None),
            ("Up 2 hours (healthy)", State::Running, Some(Healthy), None),
            ("Up 3 hours (Paused)", State::Paused, None, None),
            ("Up Less than a second", State::Running, None, None),
            ("Exited (0) 2 hours ago", State::Exited, None, Some(0)),
            ("Exited (137) 2 minutes ago", State::Exited, None, Some(137)),
            ("Created", State::Created, None, None),
            ("Restarting (1) 5 seconds ago", State::Restarting, None, Some(1)),
            ("Removal In Progress", State::Removing, None, None),
            ("Paused", State::Paused, None, None),
            ("Initialized", State::Created, None, None),
            ("Stopping", State::Running, None, None),
            ("Dead", State::Dead, None, None),
            ("", State::Unknown, None, None),
            ("Exited (", State::Exited, None, None),
            ("Update in progress", State::Unknown, None, None),
        ];
        for (text, state, health, code) in cases {
            assert_eq!(classify(text), (state, health, code), "{text:?}");
        }
    }

    #[test]
    fn both_item_shapes_parse() {
        let p = parse_list(
            r#"{"count":3,"runtime":"docker-sdk","workloads":[
              {"containerId":"3f2a9c1d7e4b5a6c","image":"a","state":"running","gpus":[],"createdAt":"2026-01-10T08:00:00+00:00","labels":{},"workloadId":null},
              {"containerId":"4a3b0d2e8f5c","image":"b","name":"x","status":"Exited (1) 1 second ago"},
              {"image":"no id"}]}"#,
        )
        .unwrap();
        assert_eq!(p.value.iter().map(|c| c.state).collect::<Vec<_>>(), [State::Running, State::Exited]);
        assert_eq!(p.value[1].exit_code, Some(1));
        assert_eq!(p.dropped, ["workload.list workloads[2]: missing field `containerId`"]);
        assert!(p.value[0].has_id("3f2a9c1d7e4b"));
        assert!(!p.value[0].has_id("3f2a9c"));
    }
}
