//! The timeline of a container whose image has a behaviour (fleet file `[images."…"]`): when
//! it starts, exits and restarts, computed from the time of its `workload.run`. Pure: no timers;
//! the caller asks what the container is doing at a given time.

/// Docker's first restart delay (moby `restartmanager`: `defaultTimeout`).
pub const RESTART_DELAY_FIRST_MS: u64 = 100;
/// Docker's longest restart delay (`maxRestartTimeout`).
pub const RESTART_DELAY_MAX_MS: u64 = 60_000;
/// A run at least this long resets the back-off to its first delay.
pub const RESTART_RESET_RUN_MS: u64 = 10_000;

/// What a container's process does, from its creation on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// When the process first starts, ms since the epoch (`Created` until then).
    pub start_ms: u64,
    /// How long each run lasts; `None`: it runs until stopped.
    pub run_ms: Option<u64>,
    /// The exit code of every run.
    pub exit_code: i32,
    /// Whether it restarts after each exit (Docker's `unless-stopped` policy).
    pub restart: bool,
}

/// Where a container is in its timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not started yet.
    Created,
    /// Running since this time.
    Up { since_ms: u64 },
    /// Exited at this time, for good.
    Exited { since_ms: u64 },
    /// Exited at this time and waiting for its restart delay.
    Restarting { since_ms: u64 },
}

/// The phase at one time, and how many times the process has started by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub phase: Phase,
    pub starts: u64,
}

/// The delay before restart number `restarts + 1`, after a run of `run_ms`: 100 ms doubling
/// to 1 min, back to 100 ms after a run of 10 s or more (moby `RestartManager.ShouldRestart`).
pub fn restart_delay_ms(restarts: u64, run_ms: u64) -> u64 {
    if run_ms >= RESTART_RESET_RUN_MS {
        return RESTART_DELAY_FIRST_MS;
    }
    let doubled = u32::try_from(restarts).ok().and_then(|r| RESTART_DELAY_FIRST_MS.checked_shl(r));
    doubled.map_or(RESTART_DELAY_MAX_MS, |d| d.min(RESTART_DELAY_MAX_MS))
}

impl Timeline {
    /// What the container is doing at `now_ms`.
    pub fn at(&self, now_ms: u64) -> Moment {
        if now_ms < self.start_ms {
            return Moment { phase: Phase::Created, starts: 0 };
        }
        let Some(run) = self.run_ms else {
            return Moment { phase: Phase::Up { since_ms: self.start_ms }, starts: 1 };
        };
        let mut start = self.start_ms;
        let mut restarts: u64 = 0;
        loop {
            let end = start.saturating_add(run);
            let starts = restarts + 1;
            if now_ms < end {
                return Moment { phase: Phase::Up { since_ms: start }, starts };
            }
            if !self.restart {
                return Moment { phase: Phase::Exited { since_ms: end }, starts };
            }
            let delay = restart_delay_ms(restarts, run);
            let next = end.saturating_add(delay);
            if now_ms < next {
                return Moment { phase: Phase::Restarting { since_ms: end }, starts };
            }
            if restart_delay_ms(restarts + 1, run) == delay {
                // The delay no longer changes: skip whole cycles at once.
                let period = run + delay;
                let cycles = (now_ms - next) / period;
                start = next + cycles * period;
                restarts += 1 + cycles;
            } else {
                start = next;
                restarts += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_100_ms_to_one_minute_and_reset_after_long_runs() {
        let delays: Vec<u64> = (0..12).map(|k| restart_delay_ms(k, 0)).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]);
        assert_eq!(restart_delay_ms(7, 10_000), 100);
        assert_eq!(restart_delay_ms(200, 0), 60_000);
    }

    #[test]
    fn a_container_that_never_exits_is_created_then_up() {
        let t = Timeline { start_ms: 5_000, run_ms: None, exit_code: 0, restart: false };
        assert_eq!(t.at(4_999), Moment { phase: Phase::Created, starts: 0 });
        assert_eq!(t.at(5_000), Moment { phase: Phase::Up { since_ms: 5_000 }, starts: 1 });
        assert_eq!(t.at(900_000), Moment { phase: Phase::Up { since_ms: 5_000 }, starts: 1 });
    }

    #[test]
    fn a_crash_exits_once_and_stays_exited() {
        let t = Timeline { start_ms: 1_000, run_ms: Some(0), exit_code: 1, restart: false };
        assert_eq!(t.at(1_000), Moment { phase: Phase::Exited { since_ms: 1_000 }, starts: 1 });
        let slow = Timeline { start_ms: 1_000, run_ms: Some(2_500), exit_code: 3, restart: false };
        assert_eq!(slow.at(3_499), Moment { phase: Phase::Up { since_ms: 1_000 }, starts: 1 });
        assert_eq!(slow.at(3_500), Moment { phase: Phase::Exited { since_ms: 3_500 }, starts: 1 });
    }

    #[test]
    fn a_restart_loop_alternates_up_and_restarting_with_the_back_off() {
        // runs 1 s, then waits 100 ms, 200 ms, 400 ms …
        let t = Timeline { start_ms: 0, run_ms: Some(1_000), exit_code: 1, restart: true };
        assert_eq!(t.at(999), Moment { phase: Phase::Up { since_ms: 0 }, starts: 1 });
        assert_eq!(t.at(1_050), Moment { phase: Phase::Restarting { since_ms: 1_000 }, starts: 1 });
        assert_eq!(t.at(1_100), Moment { phase: Phase::Up { since_ms: 1_100 }, starts: 2 });
        assert_eq!(t.at(2_150), Moment { phase: Phase::Restarting { since_ms: 2_100 }, starts: 2 });
        assert_eq!(t.at(2_300), Moment { phase: Phase::Up { since_ms: 2_300 }, starts: 3 });
    }

    #[test]
    fn a_long_restart_loop_is_computed_without_walking_every_cycle() {
        let t = Timeline { start_ms: 0, run_ms: Some(0), exit_code: 1, restart: true };
        // delays 100 … 51200 sum to 102300 ms; from then on one restart a minute
        let steady = 102_300;
        assert_eq!(t.at(steady), Moment { phase: Phase::Restarting { since_ms: steady }, starts: 11 });
        let day = 86_400_000;
        let m = t.at(steady + day + 30_000);
        assert_eq!(m, Moment { phase: Phase::Restarting { since_ms: steady + day }, starts: 11 + 1440 });
    }
}
