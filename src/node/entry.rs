//! A node as the gateway lists it (`api.runtime.nodes.list`, or the `nodes` tool's status over
//! HTTP), and whether the plugin can use it: the gateway lists every paired node (phones and
//! desktops too) and only lets through the commands its allowlist and approvals grant.

use std::rc::Rc;

/// Commands every clawnode declares; a node whose commands hold both is a clawnode.
pub const CLAWNODE_MARKERS: [&str; 2] = ["node.health", "node.capabilities"];

/// The commands the tools and the monitor read; a clawnode without any of them is unusable.
pub const READS: [&str; 5] = ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list"];

/// A node's command list, sorted once so [`Commands::has`] is a binary search; shared
/// (reference-counted) between the nodes of one build.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Commands(Rc<[String]>);

impl Commands {
    /// The set of `names`.
    pub fn new(mut names: Vec<String>) -> Self {
        names.sort_unstable();
        names.dedup();
        Self(names.into())
    }

    /// Whether `command` is in the set.
    pub fn has(&self, command: &str) -> bool {
        self.0.binary_search_by(|c| c.as_str().cmp(command)).is_ok()
    }
}

impl From<Vec<String>> for Commands {
    fn from(names: Vec<String>) -> Self {
        Self::new(names)
    }
}

/// A node-list entry, with the fields the plugin reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEntry {
    /// Stable node id (hex SHA-256 of the node's device key).
    pub id: String,
    /// Display name (the node's hostname for a clawnode; not unique).
    pub name: String,
    /// Whether the node holds a live connection now.
    pub connected: bool,
    /// Commands the gateway lets the plugin invoke now.
    pub commands: Commands,
    /// Commands of a surface waiting for an operator's approval (`pendingDeclaredCommands`).
    pub pending: Commands,
    /// `approvalState` starts with `pending` (`pending-approval`, `pending-reapproval`).
    pub pending_approval: bool,
    /// `clientId` (`node-host` for a clawnode).
    pub client_id: String,
    /// Capability tags (`caps`; a clawnode always sends `container`).
    pub caps: Rc<[String]>,
    /// `platform` as the node sent it (`linux x86_64` for today's clawnode).
    pub platform: String,
    /// `deviceFamily`: sent only by protocol-4 clients, so its absence marks a protocol-3 node.
    pub device_family: String,
}

/// What the plugin can do with a listed node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// A connected clawnode with every command the plugin reads.
    Usable,
    /// A clawnode that is listed but not connected.
    Offline,
    /// A connected clawnode the gateway does not let the plugin use: why, and the fix.
    Unusable(String),
    /// Not a clawnode (a phone, a desktop, another kind of node).
    Other,
}

impl NodeEntry {
    /// Whether the node declares `command` (and the gateway lets it through).
    pub fn declares(&self, command: &str) -> bool {
        self.commands.has(command)
    }

    /// Whether `key` names this node exactly: its id, or its display name in any case.
    pub fn is(&self, key: &str) -> bool {
        self.id == key || self.name.eq_ignore_ascii_case(key)
    }

    /// Whether `filter` selects this node: its id, or part of its display name in any case.
    pub fn matches(&self, filter: &str) -> bool {
        self.id == filter || self.name.to_lowercase().contains(&filter.to_lowercase())
    }

    /// Whether this is a clawnode: its commands (approved or pending) hold the markers, or it
    /// connected as clawnode's client (`node-host`) and looks like one even if the gateway
    /// withholds every command from it — the `container` or `gpu` capability, or clawnode's
    /// platform form `"<os> <arch>"` (`linux x86_64`; OpenClaw's own node host sends `linux`),
    /// so a clawnode with no container runtime (caps `system`, `gpu`, `nvidia`) is not lost —
    /// or it waits for approval: callers without `operator.admin`/`operator.pairing` (a service
    /// timer, an agent's tool call) see a pending node with no commands and no caps, and it must
    /// still be named with the fix.
    pub fn is_clawnode(&self) -> bool {
        let has = |list: &Commands| CLAWNODE_MARKERS.iter().all(|m| list.has(m));
        let looks_like = || {
            self.pending_approval
                || self.caps.iter().any(|c| c == "container" || c == "gpu")
                || self.platform.trim().contains(' ')
        };
        has(&self.commands) || has(&self.pending) || (self.client_id == "node-host" && looks_like())
    }

    /// Whether the node connected with protocol 3 (no `deviceFamily`), as every clawnode
    /// release does today.
    pub fn is_legacy_protocol(&self) -> bool {
        self.device_family.is_empty()
    }

    /// What the plugin can do with this node; `node_policy` says whether the plugin registers
    /// its node invoke policy (config `nodePolicy`), which changes why commands go missing.
    pub fn standing(&self, node_policy: bool) -> Standing {
        if !self.is_clawnode() {
            return Standing::Other;
        }
        if !self.connected {
            return Standing::Offline;
        }
        let missing: Vec<&str> = READS.iter().copied().filter(|c| !self.declares(c)).collect();
        if missing.is_empty() {
            return Standing::Usable;
        }
        Standing::Unusable(self.why_missing(&missing, node_policy))
    }

    fn why_missing(&self, missing: &[&str], node_policy: bool) -> String {
        let list = missing.join(", ");
        if self.pending_approval {
            return "its commands wait for an operator's approval: openclaw nodes pending, then openclaw nodes \
                    approve <requestId>"
                .to_owned();
        }
        if node_policy && self.is_legacy_protocol() {
            return format!(
                "a protocol-3 node (platform \"{}\"): the gateway withholds from it every command a node invoke \
                 policy names, and nodePolicy: true registers one (missing {list}); set nodePolicy to false and list \
                 the commands in gateway.nodes.commands.allow",
                self.platform
            );
        }
        let platform = if node_policy && !self.platform.eq_ignore_ascii_case("linux") {
            format!(
                "; its platform \"{}\" is not \"linux\", so the plugin's linux node invoke policy does not apply to it",
                self.platform
            )
        } else {
            String::new()
        };
        format!(
            "the gateway withholds {list}: add them to gateway.nodes.commands.allow, then reconnect the node and \
             approve it{platform}"
        )
    }
}
