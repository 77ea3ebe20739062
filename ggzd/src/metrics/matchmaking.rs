//! Matchmaking figures for the metrics endpoint (docs/matchmaking.md §7):
//! queue sizes and the longest current wait per queue, read at scrape
//! time, and the totals the queues counted.

use std::fmt::Write as _;
use std::time::Duration;

use super::{header, label};
use crate::matchmaking::Counts;

/// One queue at scrape time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueGauge {
    pub name: String,
    pub waiting: usize,
    /// How long its oldest ticket has waited.
    pub oldest: Duration,
}

/// Everything matchmaking shows on a scrape.
#[derive(Debug, Clone, Default)]
pub struct MatchmakingGauges {
    pub queues: Vec<QueueGauge>,
    pub counts: Counts,
}

pub(super) fn render(out: &mut String, g: &MatchmakingGauges) {
    header(
        out,
        "ggzd_queue_waiting",
        "gauge",
        "Tickets waiting in each matchmaking queue.",
    );
    for q in &g.queues {
        let _ = writeln!(
            out,
            "ggzd_queue_waiting{{queue=\"{}\"}} {}",
            label(&q.name),
            q.waiting
        );
    }
    header(
        out,
        "ggzd_queue_oldest_wait_seconds",
        "gauge",
        "How long the oldest ticket of each queue has waited.",
    );
    for q in &g.queues {
        let _ = writeln!(
            out,
            "ggzd_queue_oldest_wait_seconds{{queue=\"{}\"}} {}",
            label(&q.name),
            q.oldest.as_secs_f64()
        );
    }
    let c = &g.counts;
    for (name, help, n) in [
        (
            "ggzd_matches_total",
            "Tables formed by matchmaking rounds.",
            c.matches,
        ),
        (
            "ggzd_bot_matches_total",
            "Matched tables with bots in the missing seats.",
            c.bot_matches,
        ),
        (
            "ggzd_match_no_shows_total",
            "Matched players who did not take their seat in time.",
            c.no_shows,
        ),
        (
            "ggzd_match_requeued_total",
            "Tickets put back at the head of their queue after a failed match.",
            c.requeued,
        ),
    ] {
        header(out, name, "counter", help);
        let _ = writeln!(out, "{name} {n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_render_with_their_names() {
        let g = MatchmakingGauges {
            queues: vec![QueueGauge {
                name: "ttt".into(),
                waiting: 3,
                oldest: Duration::from_millis(1500),
            }],
            counts: Counts {
                matches: 7,
                ..Counts::default()
            },
        };
        let mut out = String::new();
        render(&mut out, &g);
        assert!(
            out.contains("ggzd_queue_waiting{queue=\"ttt\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("ggzd_queue_oldest_wait_seconds{queue=\"ttt\"} 1.5\n"),
            "{out}"
        );
        assert!(out.contains("ggzd_matches_total 7\n"), "{out}");
    }
}
