//! The planner's scheduler: host reminders and the end of spontaneous
//! sessions nobody joined. State lives in the database (an indexed due
//! time per session), so the loop holds nothing in memory and a restart or
//! a second node picks up exactly where it stopped; each reminder is
//! claimed and queued in one transaction, so it goes out exactly once.

use std::time::Duration;

use domain::planner::PlannerService;
use tokio_util::sync::CancellationToken;

/// Looks for due work every `interval` until `shutdown` is cancelled.
/// The delay between a due time and its mail being queued is at most one
/// interval plus the run itself.
pub async fn run(planner: PlannerService, interval: Duration, shutdown: CancellationToken) {
    tracing::info!(interval_ms = interval.as_millis() as u64, "planner scheduler started");
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        match planner.tick().await {
            Ok(r) if r.reminders + r.expired > 0 => {
                tracing::info!(reminders = r.reminders, expired = r.expired, "planner scheduler ran");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "planner scheduler: run failed, will retry"),
        }
    }
    tracing::info!("planner scheduler stopped");
}
