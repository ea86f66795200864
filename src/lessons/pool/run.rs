//! What the pool lesson's parent knows about every task as the run goes:
//! which ended, on which worker and when, which were lost, in what order
//! the results came; and from that, the summary's counts and timeline.

use std::collections::TryReserveError;

use serde_json::{Map, Value, json};

use crate::lab::pool::TaskEnd;
use crate::os::limits;

/// A span of a lane: the (first) task, from, to.
type Span = (usize, u64, u64);

#[derive(Clone)]
struct Ended {
    pid: i32,
    from_us: u64,
    to_us: u64,
}

/// What the parent knows about every task.
pub struct Run {
    chunksize: usize,
    ended: Vec<Option<Ended>>,
    /// The tasks lost with a worker that died, in the order it was noticed.
    pub lost: Vec<usize>,
    is_lost: Vec<bool>,
    /// Tasks ended or lost: counted, so that checking for the end is cheap.
    settled_count: usize,
    /// The tasks that ended, in the order procdemo learned of them.
    pub arrival: Vec<usize>,
    /// Every worker the pool had (pids): the first ones, then replacements.
    pub workers: Vec<i32>,
    /// The workers that died, or were stopped by `terminate()`, with tasks
    /// of theirs unfinished.
    pub died_at_work: Vec<i32>,
}

impl Run {
    /// A run of `tasks` tasks, none settled; an error when the memory
    /// for them cannot be had.
    pub fn new(tasks: usize, chunksize: usize) -> Result<Self, TryReserveError> {
        let mut arrival = Vec::new();
        arrival.try_reserve_exact(tasks)?;
        Ok(Self {
            chunksize,
            ended: limits::try_filled(tasks, None)?,
            lost: Vec::new(),
            is_lost: limits::try_filled(tasks, false)?,
            settled_count: 0,
            arrival,
            workers: Vec::new(),
            died_at_work: Vec::new(),
        })
    }

    pub fn finish(&mut self, task: TaskEnd) {
        if task.task >= self.ended.len() || self.settled(task.task) {
            return;
        }
        self.ended[task.task] = Some(Ended {
            pid: task.worker,
            from_us: task.started_us,
            to_us: task.ended_us,
        });
        self.arrival.push(task.task);
        self.settled_count += 1;
    }

    pub fn settled(&self, task: usize) -> bool {
        self.ended[task].is_some() || self.is_lost[task]
    }

    pub fn all_settled(&self) -> bool {
        self.settled_count == self.ended.len()
    }

    pub fn chunk_done(&self, chunk: usize) -> bool {
        let first = chunk * self.chunksize;
        (first..(first + self.chunksize).min(self.ended.len())).all(|task| self.settled(task))
    }

    /// Whether a task of `chunks` has neither ended nor been lost.
    pub fn any_unsettled(&self, chunks: &[usize]) -> bool {
        chunks.iter().any(|chunk| {
            let first = chunk * self.chunksize;
            (first..(first + self.chunksize).min(self.ended.len())).any(|task| !self.settled(task))
        })
    }

    /// The unfinished tasks of `chunks`, taken by a worker that died.
    pub fn lose_chunks(&mut self, chunks: &[usize]) -> Vec<usize> {
        let mut lost = Vec::new();
        for chunk in chunks {
            let first = chunk * self.chunksize;
            lost.extend(
                (first..(first + self.chunksize).min(self.ended.len()))
                    .filter(|task| !self.settled(*task)),
            );
        }
        for task in &lost {
            self.is_lost[*task] = true;
        }
        self.settled_count += lost.len();
        self.lost.extend(&lost);
        lost
    }

    /// The tasks that ended, in input order.
    pub fn completed(&self) -> Vec<usize> {
        (0..self.ended.len())
            .filter(|task| self.ended[*task].is_some())
            .collect()
    }

    /// The time every ended task took, added up.
    pub fn busy_us(&self) -> u64 {
        self.ended
            .iter()
            .flatten()
            .map(|end| end.to_us - end.from_us)
            .sum()
    }

    /// From the first task's start to the last one's end: the pool's own
    /// start-up and the narration's pauses are not the tasks' time. None
    /// when no task ended.
    pub fn wall_us(&self) -> Option<u64> {
        let ended = || self.ended.iter().flatten();
        let first_start = ended().map(|end| end.from_us).min()?;
        let last_end = ended().map(|end| end.to_us).max()?;
        Some(last_end.saturating_sub(first_start))
    }

    /// How many tasks each worker ran, by pid, in the order they first ended.
    pub fn per_worker(&self) -> Map<String, Value> {
        let mut counts: Vec<(i32, usize)> = Vec::new();
        for end in self.ended.iter().flatten() {
            match counts.iter_mut().find(|(pid, _)| *pid == end.pid) {
                Some((_, count)) => *count += 1,
                None => counts.push((end.pid, 1)),
            }
        }
        counts
            .into_iter()
            .map(|(pid, count)| (pid.to_string(), json!(count)))
            .collect()
    }

    /// How many of the pool's workers ran no task: they finished none,
    /// and did not die in the middle of one.
    pub fn idle_workers(&self) -> usize {
        self.workers
            .iter()
            .filter(|pid| !self.ended.iter().flatten().any(|end| end.pid == **pid))
            .filter(|pid| !self.died_at_work.contains(pid))
            .count()
    }

    /// One lane per worker, each task a labelled span. With many tasks the
    /// picture is summarised: a worker's tasks that follow each other with a
    /// gap too small to draw become one span, without labels.
    pub fn timeline(&self, labelled: bool) -> Value {
        let mut lanes: Vec<(i32, Vec<Span>)> = Vec::new();
        let mut ends: Vec<(usize, &Ended)> = self
            .ended
            .iter()
            .enumerate()
            .filter_map(|(task, end)| Some((task, end.as_ref()?)))
            .collect();
        ends.sort_by_key(|(_, end)| end.from_us);
        // With no task ended there is nothing to draw, nor to merge.
        let too_small_to_draw = self.wall_us().map_or(0, |wall_us| wall_us / 200);
        for (task, end) in ends {
            let lane = match lanes.iter().position(|(pid, _)| *pid == end.pid) {
                Some(lane) => lane,
                None => {
                    lanes.push((end.pid, Vec::new()));
                    lanes.len() - 1
                }
            };
            let spans = &mut lanes[lane].1;
            match spans.last_mut() {
                Some(previous)
                    if !labelled && end.from_us.saturating_sub(previous.2) <= too_small_to_draw =>
                {
                    previous.2 = previous.2.max(end.to_us);
                }
                _ => spans.push((task, end.from_us, end.to_us)),
            }
        }
        let lanes: Vec<Value> = lanes
            .into_iter()
            .map(|(pid, spans)| {
                let spans: Vec<Value> = spans
                    .into_iter()
                    .map(|(task, from_us, to_us)| {
                        let mut span =
                            json!({ "state": "task", "from_us": from_us, "to_us": to_us });
                        if labelled {
                            span["label"] = json!(task.to_string());
                        }
                        span
                    })
                    .collect();
                json!({ "label": format!("worker {pid}"), "pid": pid, "spans": spans })
            })
            .collect();
        json!({ "lanes": lanes, "counters": [] })
    }
}
