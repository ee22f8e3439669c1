//! Endpoint health: a circuit breaker per endpoint, so that a dead server stops attracting
//! requests.
//!
//! Requests go to the endpoint with the fewest requests in flight. A dead endpoint fails at
//! once, so without a breaker it always has the fewest and draws every retry. The breaker
//! keeps an endpoint out after [`FAILURES_TO_OPEN`] failures in a row, for a cool-down that
//! starts at [`FIRST_COOL_DOWN`] and doubles each time it opens again (up to
//! [`LONGEST_COOL_DOWN`]). When the cool-down ends the endpoint is *half-open*: exactly one
//! request probes it; success closes the breaker, failure opens it again.
//!
//! The breaker decides where a request goes, never whether: when every endpoint is out, the
//! one whose cool-down ends first is used anyway, and the retry back-off paces the attempts.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures in a row that take an endpoint out.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How long an endpoint stays out the first time.
pub const FIRST_COOL_DOWN: Duration = Duration::from_secs(1);
/// Longest cool-down, however often an endpoint fails.
pub const LONGEST_COOL_DOWN: Duration = Duration::from_secs(30);

/// Whether an endpoint takes requests now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Healthy: takes requests.
    Closed,
    /// Cool-down over and no probe in flight: takes one request, the probe.
    HalfOpen,
    /// Out until the given instant (or until its probe answers).
    Open(Instant),
}

/// How an attempt went, as far as the endpoint's health is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The server answered (including 4xx and 429: it is alive, the request or rate is the
    /// problem).
    Alive,
    /// No usable answer: connection failure, timeout, cut body, 5xx, not JSON.
    Failed,
}

/// The circuit breaker of one endpoint.
#[derive(Debug, Default)]
pub struct Breaker {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures_in_a_row: u32,
    open_until: Option<Instant>,
    cool_down: Duration,
    probe_in_flight: bool,
    attempts: u64,
    failures: u64,
    times_opened: u64,
}

/// What a run reports about one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointHealth {
    /// The endpoint's base URL.
    pub endpoint: String,
    /// Attempts sent to it.
    pub attempts: u64,
    /// Attempts that failed (see [`Verdict::Failed`]).
    pub failures: u64,
    /// How often it was taken out.
    pub times_opened: u64,
    /// Whether it is out now.
    pub out_now: bool,
}

impl Breaker {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the endpoint takes a request at `now`.
    pub fn availability(&self, now: Instant) -> Availability {
        let state = self.state();
        match state.open_until {
            None => Availability::Closed,
            Some(_) if state.probe_in_flight => Availability::Open(now + state.cool_down),
            Some(until) if until <= now => Availability::HalfOpen,
            Some(until) => Availability::Open(until),
        }
    }

    /// Admits one request at `now`. Returns whether it is the half-open probe, or `None` when
    /// the endpoint no longer takes requests (another request took the probe first).
    pub fn admit(&self, now: Instant) -> Option<bool> {
        let mut state = self.state();
        match state.open_until {
            None => Some(false),
            Some(until) if until <= now && !state.probe_in_flight => {
                state.probe_in_flight = true;
                Some(true)
            }
            Some(_) => None,
        }
    }

    /// Records how an attempt went, at `now`; `probe` says whether it was admitted as the probe.
    pub fn record(&self, verdict: Verdict, probe: bool, now: Instant) {
        let mut state = self.state();
        state.attempts += 1;
        if probe {
            state.probe_in_flight = false;
        }
        match verdict {
            Verdict::Alive => {
                state.failures_in_a_row = 0;
                state.open_until = None;
                state.cool_down = Duration::ZERO;
            }
            Verdict::Failed => {
                state.failures += 1;
                state.failures_in_a_row += 1;
                let reopen = probe || state.open_until.is_some();
                if reopen || state.failures_in_a_row >= FAILURES_TO_OPEN {
                    state.cool_down = if state.cool_down.is_zero() {
                        FIRST_COOL_DOWN
                    } else if reopen {
                        (state.cool_down * 2).min(LONGEST_COOL_DOWN)
                    } else {
                        state.cool_down
                    };
                    if state.open_until.is_none() {
                        state.times_opened += 1;
                    }
                    state.open_until = Some(now + state.cool_down);
                }
            }
        }
    }

    /// Counts for the run's report.
    pub fn health(&self, endpoint: &str, now: Instant) -> EndpointHealth {
        let out_now = !matches!(self.availability(now), Availability::Closed);
        let state = self.state();
        EndpointHealth {
            endpoint: endpoint.to_owned(),
            attempts: state.attempts,
            failures: state.failures,
            times_opened: state.times_opened,
            out_now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_failures_in_a_row_take_an_endpoint_out_for_the_cool_down() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        breaker.record(Verdict::Failed, false, t0);
        breaker.record(Verdict::Alive, false, t0);
        breaker.record(Verdict::Failed, false, t0);
        breaker.record(Verdict::Failed, false, t0);
        assert_eq!(breaker.availability(t0), Availability::Closed);
        breaker.record(Verdict::Failed, false, t0);
        assert_eq!(
            breaker.availability(t0),
            Availability::Open(t0 + FIRST_COOL_DOWN)
        );
        assert_eq!(breaker.admit(t0), None);
    }

    #[test]
    fn after_the_cool_down_exactly_one_probe_goes_through() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..FAILURES_TO_OPEN {
            breaker.record(Verdict::Failed, false, t0);
        }
        let later = t0 + FIRST_COOL_DOWN;
        assert_eq!(breaker.availability(later), Availability::HalfOpen);
        assert_eq!(breaker.admit(later), Some(true));
        assert_eq!(breaker.admit(later), None, "only one probe at a time");
        // The probe fails: out again, for twice as long.
        breaker.record(Verdict::Failed, true, later);
        assert_eq!(
            breaker.availability(later),
            Availability::Open(later + 2 * FIRST_COOL_DOWN)
        );
        // The next probe succeeds: healthy again, counters kept.
        let much_later = later + 2 * FIRST_COOL_DOWN;
        assert_eq!(breaker.admit(much_later), Some(true));
        breaker.record(Verdict::Alive, true, much_later);
        assert_eq!(breaker.availability(much_later), Availability::Closed);
        let health = breaker.health("http://a/v1", much_later);
        assert_eq!(
            (health.attempts, health.failures, health.times_opened),
            (5, 4, 1)
        );
        assert!(!health.out_now);
    }

    #[test]
    fn the_cool_down_is_capped() {
        let breaker = Breaker::default();
        let mut now = Instant::now();
        for _ in 0..FAILURES_TO_OPEN {
            breaker.record(Verdict::Failed, false, now);
        }
        for _ in 0..20 {
            now += LONGEST_COOL_DOWN;
            assert_eq!(breaker.admit(now), Some(true));
            breaker.record(Verdict::Failed, true, now);
        }
        assert_eq!(
            breaker.availability(now),
            Availability::Open(now + LONGEST_COOL_DOWN)
        );
    }
}
