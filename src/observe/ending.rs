//! What the records add up to once the program has ended: the process
//! tree, the timeline, the pipes and sockets shared, and the counts of the
//! last event.

use std::collections::BTreeMap;

use nix::unistd::Pid;
use serde_json::{Map, Value, json};

use super::tracer::{Ending, Process};
use crate::model::observe::{Holder, SharedChannel};

/// The tree of the program's processes from the first one, each under
/// the process that created it (an orphan stays under its first parent,
/// noted as adopted), with how it ended.
pub fn tree(records: &[Process], main: Pid) -> Value {
    let parents = parent_indexes(records);
    let root = records.iter().position(|process| process.pid == main);
    root.map_or(Value::Null, |root| node(records, &parents, root))
}

/// For each record, the index of the record of the process that created
/// it: the latest earlier record with that pid (pids are reused).
fn parent_indexes(records: &[Process]) -> Vec<Option<usize>> {
    records
        .iter()
        .enumerate()
        .map(|(at, process)| {
            records[..at]
                .iter()
                .rposition(|earlier| earlier.pid == process.parent)
        })
        .collect()
}

fn node(records: &[Process], parents: &[Option<usize>], at: usize) -> Value {
    let process = &records[at];
    let mut fields = Map::new();
    fields.insert("pid".into(), json!(process.pid.as_raw()));
    fields.insert("name".into(), json!(process.name));
    let note = match (process.python, process.adopted) {
        (Some(role), _) => Some(role),
        (None, true) => Some("adopted"),
        (None, false) => None,
    };
    if let Some(note) = note {
        fields.insert("note".into(), json!(note));
    }
    match process.ending {
        Some(Ending::Code(code)) => {
            fields.insert("exit_code".into(), json!(code));
        }
        Some(Ending::Signal(signal, _)) => {
            fields.insert("signal".into(), json!(signal.as_str()));
        }
        None => {}
    }
    if process.exited_us.is_some() && process.reap.is_none() {
        fields.insert("state".into(), json!("Z"));
    }
    let children: Vec<Value> = (0..records.len())
        .filter(|&child| parents[child] == Some(at))
        .map(|child| node(records, parents, child))
        .collect();
    if !children.is_empty() {
        fields.insert("children".into(), Value::Array(children));
    }
    Value::Object(fields)
}

/// One lane per process: `run` from its creation to its end, `zombie` from
/// its end to its reap (or to `now_us` for what is still there).
pub fn timeline(records: &[Process], now_us: u64) -> Value {
    let lanes: Vec<Value> = records
        .iter()
        .map(|process| {
            let ended = process.exited_us.unwrap_or(now_us);
            let mut spans =
                vec![json!({"state": "run", "from_us": process.created_us, "to_us": ended})];
            // The kernel frees a child whose parent ignores SIGCHLD as it
            // ends: it is never a zombie for anyone to wait for.
            let kernel_reaped = process
                .reap
                .as_ref()
                .is_some_and(|reap| reap.kind == "kernel");
            if process.exited_us.is_some() && !kernel_reaped {
                let reaped = process.reap.as_ref().map_or(now_us, |reap| reap.at_us);
                spans.push(json!({"state": "zombie", "from_us": ended, "to_us": reaped}));
            }
            json!({
                "label": format!("{}({})", process.name, process.pid),
                "pid": process.pid.as_raw(),
                "spans": spans,
            })
        })
        .collect();
    json!({ "lanes": lanes })
}

/// Each pipe or socket that two or more processes held when last looked
/// at, with who held which end then.
pub fn shared_channels(records: &[Process]) -> Vec<SharedChannel> {
    let mut by_inode: BTreeMap<(String, u64), Vec<Holder>> = BTreeMap::new();
    for process in records {
        for end in &process.ends {
            let holder = Holder {
                pid: process.pid.as_raw(),
                fd: end.fd,
                access: end.access.clone(),
                at: process.ends_at.into(),
            };
            let holders = by_inode.entry((end.kind.clone(), end.inode)).or_default();
            if !holders.contains(&holder) {
                holders.push(holder);
            }
        }
    }
    by_inode
        .into_iter()
        .filter(|(_, holders)| {
            let first = holders.first().map(|holder| holder.pid);
            holders.iter().any(|holder| Some(holder.pid) != first)
        })
        .map(|((kind, inode), holders)| SharedChannel {
            kind,
            inode,
            holders,
        })
        .collect()
}

/// The processes whose own parent never waited for them: taken by an
/// adopter or by procdemo, or still zombies. The first process is
/// procdemo's own child: its reap by procdemo is its parent's.
pub fn never_reaped(records: &[Process], main: Pid) -> Vec<i32> {
    records
        .iter()
        .filter(|process| process.pid != main && process.exited_us.is_some())
        .filter(|process| {
            process
                .reap
                .as_ref()
                .is_none_or(|reap| matches!(reap.kind, "adopter" | "procdemo"))
        })
        .map(|process| process.pid.as_raw())
        .collect()
}
