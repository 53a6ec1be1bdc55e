//! Single flight: concurrent identical requests that miss the cache share one network request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

/// A map from request identity to the one request in flight for it.
///
/// The first caller of a key runs its future; callers arriving while it runs wait for it and
/// get a clone of its outcome. When the running caller is cancelled, a waiting one takes
/// over. The entry is removed once the outcome is known, so the next miss starts afresh.
#[derive(Debug)]
pub(crate) struct SingleFlight<T> {
    flights: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> SingleFlight<T> {
    /// Runs `work` for `key` unless an identical request is already in flight, in which case
    /// its outcome is shared.
    pub(crate) async fn run<F, Fut>(&self, key: &str, work: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            flights.entry(key.to_owned()).or_default().clone()
        };
        let outcome = cell.get_or_init(work).await.clone();
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if flights.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            flights.remove(key);
        }
        outcome
    }
}

/// The identity of a request for single flight: every part that changes the answer.
pub(crate) fn flight_key(parts: &[&str]) -> String {
    parts.join("\u{1f}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_identical_keys_run_the_work_once() {
        let flight = Arc::new(SingleFlight::<usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (flight, runs) = (flight.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                flight
                    .run("k", || async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        runs.fetch_add(1, Ordering::SeqCst) + 7
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 7);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(flight.flights.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn different_keys_and_later_calls_run_their_own_work() {
        let flight = SingleFlight::<&'static str>::default();
        assert_eq!(flight.run("a", || async { "a" }).await, "a");
        assert_eq!(flight.run("b", || async { "b" }).await, "b");
        assert_eq!(flight.run("a", || async { "again" }).await, "again");
    }
}
