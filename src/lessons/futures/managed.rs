//! A plain queue cannot reach workers forked before it; a manager's queue,
//! served over a Unix socket from a private directory, can.

use std::os::unix::net::UnixListener;

use anyhow::{Context, Result};

use super::{
    MAX_WORKERS, ManagerConnected, ManagerQueue, PlainQueue, ProxyConnected, QueueItems, Work, body,
};
use crate::lab::futures::manager::{self, MANAGER, Proxy, sockets_of};
use crate::lab::futures::{Executor, Start};
use crate::lab::{Lab, PARENT, raw_pids};
use crate::model::Report;
use crate::os::pipe;
use crate::os::private_dir::{self, PrivateDir};

/// The manager's private directory: `<tmp>/procdemo-futures-<pid>`.
pub(super) const DIR: &str = crate::os::private_dir::FUTURES;

/// A plain queue cannot reach workers that did not inherit it; a manager's
/// queue, served over a Unix socket, can.
pub(super) fn managed_queue(lab: &mut Lab) -> Result<()> {
    // The socket's name, known before the directory exists: the workers
    // start first, and connect only once the manager listens.
    let path = private_dir::path_for(DIR).join("queue.sock");
    let (listening, release) = (lab.gate()?, lab.gate()?);
    let plan = [
        Work::Put {
            listening: &listening,
            gate: &release,
            path: &path,
            input: 1,
        },
        Work::Put {
            listening: &listening,
            gate: &release,
            path: &path,
            input: 2,
        },
    ];
    let task = body(&plan);
    let mut executor = Executor::new(lab, MAX_WORKERS, plan.len(), Start::AllAtOnce, &task)?;
    executor.submit_all(lab, plan.len())?;
    let workers = executor.workers().to_vec();

    // A plain queue is a pipe (and locks) made now, after the workers started.
    let (read_end, write_end) = pipe::pipe().context("pipe() for a plain queue")?;
    let queue_pipe = manager::fd_name(&read_end)?;
    let in_workers = workers
        .iter()
        .map(|worker| manager::has_open(*worker, &queue_pipe))
        .collect::<Result<_>>()?;
    lab.tell(
        PARENT,
        &PlainQueue {
            in_procdemo: manager::has_open(lab.pid(), &queue_pipe)?,
            queue_pipe,
            workers: raw_pids(&workers),
            in_workers,
        },
    )?;
    drop((read_end, write_end));

    // The directory lives only until every proxy is connected: what the
    // processes report meanwhile is shown once it is gone, so that no
    // reading pause keeps it.
    lab.hold();
    let mut dir = PrivateDir::create(DIR).context("creating the manager's directory")?;
    let listener =
        UnixListener::bind(&path).with_context(|| format!("bind() of {}", path.display()))?;
    // The two workers and procdemo connect.
    let clients = MAX_WORKERS + 1;
    let server = lab.fork(MANAGER, move |side| manager::serve(side, listener, clients))?;
    lab.label(server.pid, "manager");
    lab.open(&listening);
    let mut proxy = Proxy::connect(&path)?;
    let mut worker_sockets = Vec::new();
    for worker in &workers {
        let connected = lab.expect_reports_of::<ProxyConnected>(*worker, 1)?;
        let socket = &connected[0].socket;
        if !sockets_of(*worker)?.contains(socket) {
            anyhow::bail!("/proc/{worker}/fd does not show {socket}");
        }
        worker_sockets.push(socket.clone());
    }
    let served: ManagerConnected = lab.expect_report(server.pid)?;
    // Every proxy is connected: the name is not needed any more.
    dir.remove().context("removing the manager's directory")?;
    lab.show_held()?;
    let peers: Vec<i32> = served.connections.iter().map(|end| end.peer_pid).collect();
    let peers_match = workers
        .iter()
        .map(|worker| worker.as_raw())
        .chain([lab.pid().as_raw()])
        .all(|pid| peers.contains(&pid));
    let tree = lab.live_tree()?;
    lab.tell(
        PARENT,
        &ManagerQueue {
            manager: server.pid.as_raw(),
            socket_path: path.display().to_string(),
            path_exists: path.exists(),
            workers: raw_pids(&workers),
            worker_sockets,
            manager_ends: served.connections,
            peers_match,
            tree,
        },
    )?;

    lab.before(QueueItems::STEP)?;
    lab.open(&release);
    let items = (0..plan.len())
        .map(|_| proxy.get())
        .collect::<Result<Vec<_>>>()?;
    executor.shutdown(lab)?;
    // procdemo's proxy closes last: the manager has no client left and ends.
    drop(proxy);
    let status = lab.wait(server.pid)?;
    lab.tell(
        PARENT,
        &QueueItems {
            items,
            manager_exitcode: status.python_exitcode(),
        },
    )
}
