//! Process trees as `tree` facts: what ran in a lesson (from the lab's
//! records), and what runs right now (from `/proc`).

use std::io;

use nix::unistd::Pid;
use serde_json::{Value, json};

use super::registry::Process;
use crate::os::procfs;

/// procdemo and every process of the run, each under the one that forked it,
/// with how it ended.
pub fn of_run(owner: Pid, processes: &[Process]) -> Value {
    let mut root = json!({ "pid": owner.as_raw(), "name": "procdemo", "note": super::PARENT });
    root["children"] = children_of_run(owner, processes);
    root
}

fn children_of_run(parent: Pid, processes: &[Process]) -> Value {
    let nodes: Vec<Value> = processes
        .iter()
        .filter(|process| process.parent == parent)
        .map(|process| {
            let mut node =
                json!({ "pid": process.pid.as_raw(), "name": "procdemo", "note": process.note() });
            if let Some(status) = process.status {
                match (status.code(), status.signal()) {
                    (Some(code), _) => node["exit_code"] = json!(code),
                    (None, Some(signal)) => node["signal"] = json!(super::signal_name(signal)),
                    (None, None) => {}
                }
            }
            let children = children_of_run(process.pid, processes);
            if children.as_array().is_some_and(|list| !list.is_empty()) {
                node["children"] = children;
            }
            node
        })
        .collect();
    Value::Array(nodes)
}

/// `root` and its descendants as `/proc` shows them now, with the lab's
/// note for each process it knows.
pub fn live(root: Pid, processes: &[Process]) -> io::Result<Value> {
    let stat = procfs::stat(root)?;
    live_node(&stat, processes)
}

fn live_node(stat: &procfs::ProcStat, processes: &[Process]) -> io::Result<Value> {
    let pid = Pid::from_raw(stat.pid);
    let mut node = json!({ "pid": stat.pid, "name": stat.comm, "state": stat.state.to_string() });
    if let Some(process) = processes.iter().find(|process| process.pid == pid) {
        node["note"] = json!(process.note());
    }
    let children = procfs::children_of(pid)?
        .iter()
        .map(|child| live_node(child, processes))
        .collect::<io::Result<Vec<_>>>()?;
    if !children.is_empty() {
        node["children"] = Value::Array(children);
    }
    Ok(node)
}
