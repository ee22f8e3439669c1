//! Bounded, adaptive concurrency.
//!
//! At most `max` requests are in flight. When a server answers 429 the limiter pauses every new
//! attempt until the server's `Retry-After` has passed, and halves the number of requests allowed
//! in flight; after a run of successes it allows one more again, up to `max` (additive increase,
//! multiplicative decrease, as TCP does).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Successes in a row after which one more request may be in flight.
const SUCCESSES_PER_STEP_UP: usize = 20;

/// Shared by all requests of a client.
#[derive(Debug)]
pub struct Limiter {
    permits: Arc<Semaphore>,
    max: usize,
    /// Requests currently allowed in flight (permits not withheld).
    allowed: AtomicUsize,
    /// Permits still to be withheld as soon as they are released.
    to_withhold: AtomicUsize,
    successes: AtomicUsize,
    paused_until: Mutex<Option<Instant>>,
}

/// Permission to have one request in flight; released on drop.
#[derive(Debug)]
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    limiter: Arc<Limiter>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        // Withhold the permit instead of returning it if the limit was lowered meanwhile.
        let withheld = self
            .limiter
            .to_withhold
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if withheld {
            permit.forget();
        }
    }
}

impl Limiter {
    /// A limiter allowing `max` requests in flight (at least one).
    pub fn new(max: usize) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            allowed: AtomicUsize::new(max),
            to_withhold: AtomicUsize::new(0),
            successes: AtomicUsize::new(0),
            paused_until: Mutex::new(None),
        })
    }

    /// Requests currently allowed in flight.
    pub fn allowed(&self) -> usize {
        self.allowed.load(Ordering::SeqCst)
    }

    /// Waits for any pause to pass and for a free slot.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            let pause = *self.paused_until.lock().await;
            if let Some(until) = pause {
                if until > Instant::now() {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
            }
            // The semaphore is never closed, so acquisition only fails if it were.
            let permit = Arc::clone(&self.permits).acquire_owned().await.ok();
            return Slot {
                permit,
                limiter: Arc::clone(self),
            };
        }
    }

    /// Records a 429: pause everyone for `wait`, and halve the requests allowed in flight.
    pub async fn rate_limited(&self, wait: Duration) {
        {
            let mut paused = self.paused_until.lock().await;
            let until = Instant::now() + wait;
            if paused.is_none_or(|current| current < until) {
                *paused = Some(until);
            }
        }
        self.successes.store(0, Ordering::SeqCst);
        let allowed = self.allowed.load(Ordering::SeqCst);
        let target = (allowed / 2).max(1);
        let reduce = allowed - target;
        if reduce > 0
            && self
                .allowed
                .compare_exchange(allowed, target, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            // Take idle permits out at once; the rest are withheld as in-flight requests finish.
            let mut remaining = reduce;
            while remaining > 0 {
                match self.permits.try_acquire() {
                    Ok(permit) => {
                        permit.forget();
                        remaining -= 1;
                    }
                    Err(_) => break,
                }
            }
            self.to_withhold.fetch_add(remaining, Ordering::SeqCst);
        }
    }

    /// Records a success; every [`SUCCESSES_PER_STEP_UP`] in a row allow one more in flight.
    pub fn succeeded(&self) {
        let streak = self.successes.fetch_add(1, Ordering::SeqCst) + 1;
        if streak % SUCCESSES_PER_STEP_UP != 0 {
            return;
        }
        let raised = self
            .allowed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok();
        if raised {
            // Cancel a pending withhold if there is one; otherwise hand a permit back.
            let cancelled = self
                .to_withhold
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if !cancelled {
                self.permits.add_permits(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_limits_halve_the_limit_and_successes_restore_it() {
        let limiter = Limiter::new(8);
        let slots: Vec<Slot> = futures_join(&limiter, 8).await;
        assert_eq!(limiter.permits.available_permits(), 0);
        limiter.rate_limited(Duration::from_secs(1)).await;
        assert_eq!(limiter.allowed(), 4);
        drop(slots);
        assert_eq!(limiter.permits.available_permits(), 4, "4 permits withheld");
        for _ in 0..SUCCESSES_PER_STEP_UP * 10 {
            limiter.succeeded();
        }
        assert_eq!(limiter.allowed(), 8);
        assert_eq!(limiter.permits.available_permits(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_permits_are_withheld_at_once() {
        let limiter = Limiter::new(8);
        let _one = limiter.acquire().await;
        limiter.rate_limited(Duration::ZERO).await;
        assert_eq!(limiter.allowed(), 4);
        assert_eq!(
            limiter.permits.available_permits(),
            3,
            "one of the four is in flight"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_delays_new_requests() {
        let limiter = Limiter::new(2);
        limiter.rate_limited(Duration::from_secs(3)).await;
        let start = Instant::now();
        let _slot = limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }

    async fn futures_join(limiter: &Arc<Limiter>, n: usize) -> Vec<Slot> {
        let mut slots = Vec::new();
        for _ in 0..n {
            slots.push(limiter.acquire().await);
        }
        slots
    }
}
