//! Which nodes can run a request at all, and why the others cannot.

use super::{Request, MEMORY_HEADROOM, MIN_FREE_DISK_BYTES};
use crate::assess::GpuState;
use crate::fleet::Checked;
use crate::node::caps::Runtime;

/// The GPU indices the container would bind on the node, or every reason it cannot run there.
pub fn admit(c: &Checked, req: &Request) -> Result<Vec<u32>, Vec<String>> {
    let (r, v) = (&c.report, &c.verdict);
    let mut reasons = Vec::new();
    if !v.state.schedulable() {
        reasons.push(format!("{}: {}", v.state.as_str(), v.reason));
    }
    let (Some(facts), Some(health)) = (r.facts(), r.health()) else {
        if reasons.is_empty() {
            reasons.push("no facts or health from the node".to_owned());
        }
        return Err(reasons);
    };
    if !req.plan_only && !r.node.declares(crate::commands::RUN) {
        reasons.push("the gateway does not let workload.run through to it".to_owned());
    }
    let runtime = facts.runtime();
    if runtime.is_none() {
        reasons.push("no container runtime".to_owned());
    }
    if let Some(mem) = req.memory_mb {
        let need = mem * (1.0 + MEMORY_HEADROOM);
        if health.memory_available_mb < need {
            reasons.push(format!(
                "not enough memory: needs {need:.0} MB ({mem:.0} MB + 10% headroom), {:.0} MB available",
                health.memory_available_mb
            ));
        }
    }
    if let Some(cpu) = req.cpu {
        let cpus = facts.caps.cpu_count.max(health.cpu_count);
        if cpu > f64::from(cpus) {
            reasons.push(format!("too few CPUs: needs {cpu}, the node has {cpus}"));
        }
    }
    let root = runtime.map_or("/var/lib/docker", Runtime::data_root);
    if let Some(d) = health.disk_holding(root) {
        if d.available_bytes < MIN_FREE_DISK_BYTES {
            reasons.push(format!(
                "not enough disk: {:.1} GB free on {} (holds {root}), needs 10 GB",
                d.available_bytes / 1e9,
                d.mount
            ));
        }
    }
    let gpu_count = facts.gpu_count();
    let mut bound = Vec::new();
    if req.gpus > 0 {
        if gpu_count < req.gpus {
            reasons.push(format!("has {gpu_count} GPUs, needs {}", req.gpus));
        } else if let Some(rt) = runtime {
            bound = rt.binds(req.gpus, gpu_count);
            if let Runtime::Other(name) = rt {
                reasons.push(format!(
                    "its container runtime {name:?} gets no GPU from clawnode (it passes GPUs to docker and podman only)"
                ));
            }
            gpu_reasons(c, req, &bound, rt, &mut reasons);
        }
    }
    if reasons.is_empty() {
        Ok(bound)
    } else {
        Err(reasons)
    }
}

fn gpu_reasons(c: &Checked, req: &Request, bound: &[u32], rt: &Runtime, reasons: &mut Vec<String>) {
    let Some(facts) = c.report.facts() else { return };
    if let Some(model) = &req.gpu_model {
        let m = model.to_lowercase();
        if let Some(i) = bound.iter().find(|&&i| !facts.gpu_name(i).to_lowercase().contains(&m)) {
            reasons.push(format!("GPU {i} is {}, not {model}", facts.gpu_name(*i)));
        }
    }
    if let Some(min) = req.min_vram_mb {
        if let Some(&i) = bound.iter().find(|&&i| facts.gpu_vram_mb(i) < min) {
            reasons.push(format!("GPU {i} has {:.0} MB VRAM, needs {min:.0} MB", facts.gpu_vram_mb(i)));
        }
    }
    let taken: Vec<String> = bound
        .iter()
        .filter_map(|&i| match c.verdict.gpu(i) {
            Some(g) if g.state == GpuState::Free => None,
            Some(g) => Some(match g.state {
                GpuState::Held => format!("GPU {i} is {}", g.why),
                GpuState::Unknown => format!("GPU {i} state unknown: {}", g.why),
                _ => format!("GPU {i} busy ({})", g.why),
            }),
            None => Some(format!("GPU {i} state unknown: not checked")),
        })
        .collect();
    if taken.is_empty() {
        return;
    }
    let which = match (rt, bound.len()) {
        (Runtime::Podman, _) => {
            "podman binds every GPU of the node (--device nvidia.com/gpu=all), so all must be free".to_owned()
        }
        (_, 1) => "GPU 0 must be free".to_owned(),
        (_, n) => format!("GPUs 0..{} must all be free", n - 1),
    };
    reasons.push(format!("{which}: {}", taken.join(", ")));
}
