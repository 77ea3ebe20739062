//! One matchmaking round as a pure function: tickets in, tables out
//! (docs/matchmaking.md §3). Same input, same output: no clock, no
//! randomness, no hash order; every tie goes to the older ticket.

use std::time::Duration;

use super::desc::QueueDesc;

/// A ticket as a round sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Ticket number: lower = queued earlier.
    pub id: u64,
    /// The player's rating in the queue's game (ignored by unrated queues).
    pub rating: f64,
    /// Time in the queue so far.
    pub waited: Duration,
    /// Rounds this ticket already went through unmatched.
    pub missed: u32,
    /// Back from a match that fell through: served before everyone else.
    pub head: bool,
}

/// What the game allows, worked out from its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Table sizes the queue may form, ascending (`QueueDesc::sizes`).
    pub sizes: Vec<u32>,
    /// Numbers of bots the game allows at one table; empty = no bots.
    pub bot_counts: Vec<u32>,
}

/// One seat of a formed table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    Ticket(u64),
    Bot,
}

/// A table the round formed.
#[derive(Debug, Clone, PartialEq)]
pub struct Formed {
    /// In seat order; with groups, each group's seats are consecutive.
    pub seats: Vec<Fill>,
    /// The group of each seat (index into `QueueDesc::groups`), when the
    /// queue has groups.
    pub groups: Vec<usize>,
    /// Rating spread of the humans at the table.
    pub gap: f64,
}

impl Formed {
    pub fn tickets(&self) -> impl Iterator<Item = u64> + '_ {
        self.seats.iter().filter_map(|f| match f {
            Fill::Ticket(id) => Some(*id),
            Fill::Bot => None,
        })
    }
}

/// The gap a ticket accepts: it widens each round it waited in vain.
pub fn allowed_gap(desc: &QueueDesc, missed: u32) -> f64 {
    if !desc.rated {
        return f64::INFINITY;
    }
    let widened = u64::from(desc.rating_gap) + u64::from(desc.gap_widen) * u64::from(missed);
    widened.min(u64::from(desc.max_gap)) as f64
}

fn rating(desc: &QueueDesc, e: &Entry) -> f64 {
    if desc.rated && e.rating.is_finite() {
        e.rating
    } else {
        0.0
    }
}

/// Runs one round over `entries` (any order). Returns the tables formed;
/// every ticket not in one stays queued.
pub fn round(desc: &QueueDesc, rules: &Rules, entries: &[Entry]) -> Vec<Formed> {
    // Fairness order: tickets back from a failed match first, then by age.
    let mut order: Vec<&Entry> = entries.iter().collect();
    order.sort_by_key(|e| (!e.head, e.id));
    let mut taken = vec![false; order.len()];
    let mut formed = Vec::new();
    if rules.sizes == [2] {
        pair(desc, &order, &mut taken, &mut formed);
    } else if !rules.sizes.is_empty() {
        windows(desc, rules, &order, &mut taken, &mut formed);
    }
    fill_with_bots(desc, rules, &order, &mut taken, &mut formed);
    formed
}

/// Two seats: each ticket, oldest first, takes the partner with the
/// smallest gap less the wait bonus, among those whose gap either of the
/// two accepts.
fn pair(desc: &QueueDesc, order: &[&Entry], taken: &mut [bool], formed: &mut Vec<Formed>) {
    if !desc.rated {
        // Every pair scores the same: first come, first paired.
        for (a, b) in (0..order.len()).step_by(2).map(|a| (a, a + 1)) {
            if b < order.len() {
                taken[a] = true;
                taken[b] = true;
                formed.push(seat(desc, &[order[a], order[b]], 0, 0.0));
            }
        }
        return;
    }
    let bonus = f64::from(desc.wait_bonus);
    for a in 0..order.len() {
        if taken[a] {
            continue;
        }
        let ea = order[a];
        let mut best: Option<(f64, usize, f64)> = None;
        for b in 0..order.len() {
            if b == a || taken[b] {
                continue;
            }
            let eb = order[b];
            let gap = (rating(desc, ea) - rating(desc, eb)).abs();
            let limit = allowed_gap(desc, ea.missed).max(allowed_gap(desc, eb.missed));
            if gap > limit {
                continue;
            }
            let waited = (ea.waited + eb.waited).as_secs_f64();
            let score = if desc.rated {
                gap - bonus * waited
            } else {
                0.0
            };
            if best.is_none_or(|(s, _, _)| score < s) {
                best = Some((score, b, gap));
            }
        }
        if let Some((_, b, gap)) = best {
            taken[a] = true;
            taken[b] = true;
            formed.push(seat(desc, &[order[a], order[b]], 0, gap));
        }
    }
}

/// More seats: the tickets sorted by rating; each ticket, oldest first,
/// takes the tightest window around it of the largest size that fits
/// (its members' widest accepted gap bounds the window's spread).
fn windows(
    desc: &QueueDesc,
    rules: &Rules,
    order: &[&Entry],
    taken: &mut [bool],
    formed: &mut Vec<Formed>,
) {
    // Free tickets by rating, ties by age; matched ones leave the list.
    let mut free: Vec<usize> = (0..order.len()).filter(|i| !taken[*i]).collect();
    free.sort_by(|x, y| {
        rating(desc, order[*x])
            .total_cmp(&rating(desc, order[*y]))
            .then(order[*x].id.cmp(&order[*y].id))
    });
    for a in 0..order.len() {
        if taken[a] {
            continue;
        }
        let Some(pos) = free.iter().position(|i| *i == a) else {
            continue;
        };
        let mut chosen: Option<(usize, usize, f64)> = None;
        for &size in rules.sizes.iter().rev() {
            let size = size as usize;
            if size > free.len() || size == 0 {
                continue;
            }
            let first = (pos + 1).saturating_sub(size);
            let last = pos.min(free.len() - size);
            for start in first..=last {
                let members = &free[start..start + size];
                let lo = rating(desc, order[members[0]]);
                let hi = rating(desc, order[members[size - 1]]);
                let spread = hi - lo;
                let limit = members
                    .iter()
                    .map(|i| allowed_gap(desc, order[*i].missed))
                    .fold(0.0, f64::max);
                if spread <= limit && chosen.is_none_or(|(_, _, s)| spread < s) {
                    chosen = Some((start, size, spread));
                }
            }
            if chosen.is_some() {
                break;
            }
        }
        if let Some((start, size, spread)) = chosen {
            let members: Vec<&Entry> = free
                .drain(start..start + size)
                .map(|i| {
                    taken[i] = true;
                    order[i]
                })
                .collect();
            formed.push(seat(desc, &members, 0, spread));
        }
    }
}

/// Tickets that missed `bots_after` rounds get a table of their own,
/// the smallest the game allows with bots in every other seat.
fn fill_with_bots(
    desc: &QueueDesc,
    rules: &Rules,
    order: &[&Entry],
    taken: &mut [bool],
    formed: &mut Vec<Formed>,
) {
    let Some(after) = desc.bots_after else {
        return;
    };
    let Some(size) = rules
        .sizes
        .iter()
        .copied()
        .find(|s| *s >= 2 && rules.bot_counts.contains(&(s - 1)))
    else {
        return;
    };
    for (i, e) in order.iter().enumerate() {
        if !taken[i] && e.missed >= after {
            taken[i] = true;
            formed.push(seat(desc, &[e], size as usize - 1, 0.0));
        }
    }
}

/// Lays out a table: without groups, humans by fairness order then
/// bots; with groups, each group gets its minimum, the rest go round
/// robin up to each maximum, and humans are dealt to groups strongest
/// first in a snake order so the teams' ratings balance.
fn seat(desc: &QueueDesc, humans: &[&Entry], bots: usize, gap: f64) -> Formed {
    let total = humans.len() + bots;
    if desc.groups.is_empty() {
        let mut by_age: Vec<&Entry> = humans.to_vec();
        by_age.sort_by_key(|e| (!e.head, e.id));
        let mut seats: Vec<Fill> = by_age.iter().map(|e| Fill::Ticket(e.id)).collect();
        seats.extend(std::iter::repeat_n(Fill::Bot, bots));
        return Formed {
            seats,
            groups: Vec::new(),
            gap,
        };
    }
    let mut cap: Vec<usize> = desc.groups.iter().map(|g| g.min as usize).collect();
    let mut left = total.saturating_sub(cap.iter().sum());
    while left > 0 {
        let before = left;
        for (c, g) in cap.iter_mut().zip(&desc.groups) {
            if left > 0 && *c < g.max as usize {
                *c += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    let mut strongest: Vec<&Entry> = humans.to_vec();
    strongest.sort_by(|x, y| {
        rating(desc, y)
            .total_cmp(&rating(desc, x))
            .then(x.id.cmp(&y.id))
    });
    let mut members: Vec<Vec<Fill>> = vec![Vec::new(); cap.len()];
    let n = cap.len();
    let mut turn = 0usize;
    for e in strongest {
        // Snake: 0,1,..,n-1,n-1,..,0, skipping full groups.
        let mut placed = false;
        for _ in 0..2 * n {
            let lap = turn / n;
            let k = turn % n;
            let g = if lap.is_multiple_of(2) { k } else { n - 1 - k };
            turn += 1;
            if members[g].len() < cap[g] {
                members[g].push(Fill::Ticket(e.id));
                placed = true;
                break;
            }
        }
        if !placed && let Some(g) = (0..n).find(|g| members[*g].len() < cap[*g]) {
            members[g].push(Fill::Ticket(e.id));
        }
    }
    let mut seats = Vec::with_capacity(total);
    let mut groups = Vec::with_capacity(total);
    for (g, mut m) in members.into_iter().enumerate() {
        m.resize(cap[g], Fill::Bot);
        groups.extend(std::iter::repeat_n(g, m.len()));
        seats.extend(m);
    }
    Formed { seats, groups, gap }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matchmaking::desc::GroupDesc;
    use crate::matchmaking::desc::tests::queue;

    fn e(id: u64, rating: f64) -> Entry {
        Entry {
            id,
            rating,
            waited: Duration::ZERO,
            missed: 0,
            head: false,
        }
    }

    fn two() -> Rules {
        Rules {
            sizes: vec![2],
            bot_counts: vec![1],
        }
    }

    fn ids(formed: &[Formed]) -> Vec<Vec<u64>> {
        formed.iter().map(|f| f.tickets().collect()).collect()
    }

    #[test]
    fn pairs_closest_ratings_and_leaves_outliers() {
        let q = queue("q", 2, 2);
        let entries = [e(1, 1500.0), e(2, 2000.0), e(3, 1550.0), e(4, 1960.0)];
        let formed = round(&q, &two(), &entries);
        assert_eq!(ids(&formed), [vec![1, 3], vec![2, 4]]);
        assert_eq!(formed[0].gap, 50.0);
        // Beyond the allowed gap nobody is paired.
        let formed = round(&q, &two(), &[e(1, 1500.0), e(2, 1700.0)]);
        assert!(formed.is_empty());
    }

    #[test]
    fn the_gap_widens_per_missed_round() {
        let q = queue("q", 2, 2); // 100, +50 per round, at most 1000
        let mut a = e(1, 1500.0);
        let b = e(2, 1740.0);
        for (missed, paired) in [(0, false), (2, false), (3, true)] {
            a.missed = missed;
            let formed = round(&q, &two(), &[a.clone(), b.clone()]);
            assert_eq!(!formed.is_empty(), paired, "missed {missed}");
        }
        a.missed = 1000;
        assert!(round(&q, &two(), &[a, e(3, 2600.0)]).is_empty(), "max_gap");
    }

    #[test]
    fn waiting_buys_a_worse_partner_first() {
        let q = queue("q", 2, 2);
        // 1 is oldest and takes the closest of 2 and 3.
        let formed = round(&q, &two(), &[e(1, 1500.0), e(2, 1580.0), e(3, 1510.0)]);
        assert_eq!(ids(&formed), [vec![1, 3]]);
        // Ticket 2 has waited 30 s: 80 - 5*30 beats 10 - 5*0.
        let mut old = e(2, 1580.0);
        old.waited = Duration::from_secs(30);
        let formed = round(&q, &two(), &[e(1, 1500.0), old, e(3, 1510.0)]);
        assert_eq!(ids(&formed), [vec![1, 2]]);
    }

    #[test]
    fn oldest_first_and_requeued_tickets_before_everyone() {
        let mut q = queue("q", 2, 2);
        q.rated = false;
        let entries = [e(5, 0.0), e(3, 0.0), e(9, 0.0), e(4, 0.0), e(7, 0.0)];
        assert_eq!(ids(&round(&q, &two(), &entries)), [vec![3, 4], vec![5, 7]]);
        let mut back = e(9, 0.0);
        back.head = true;
        let entries = [e(5, 0.0), e(3, 0.0), back, e(4, 0.0), e(7, 0.0)];
        assert_eq!(ids(&round(&q, &two(), &entries)), [vec![9, 3], vec![4, 5]]);
    }

    #[test]
    fn deterministic_whatever_the_input_order() {
        let q = queue("q", 2, 4);
        let rules = Rules {
            sizes: vec![2, 3, 4],
            bot_counts: vec![],
        };
        let mut entries: Vec<Entry> = (0..40)
            .map(|i| e(i, 1400.0 + ((i * 37) % 23) as f64 * 9.0))
            .collect();
        let first = round(&q, &rules, &entries);
        entries.reverse();
        assert_eq!(round(&q, &rules, &entries), first);
        entries.rotate_left(13);
        assert_eq!(round(&q, &rules, &entries), first);
        let matched: usize = first.iter().map(|f| f.seats.len()).sum();
        assert_eq!(matched, 40);
    }

    #[test]
    fn windows_fill_the_largest_size_within_the_gap() {
        let q = queue("q", 3, 4);
        let rules = Rules {
            sizes: vec![3, 4],
            bot_counts: vec![],
        };
        let entries = [
            e(1, 1500.0),
            e(2, 1520.0),
            e(3, 1590.0),
            e(4, 1700.0),
            e(5, 1510.0),
            e(6, 1750.0),
            e(7, 1790.0),
        ];
        let formed = round(&q, &rules, &entries);
        let mut got = ids(&formed);
        for t in &mut got {
            t.sort();
        }
        assert_eq!(got, [vec![1, 2, 3, 5], vec![4, 6, 7]]);
        assert!(formed.iter().all(|f| f.gap <= 100.0));
    }

    #[test]
    fn count_multiple_and_sizes_come_from_rules() {
        let mut q = queue("q", 2, 6);
        q.count_multiple = 2;
        q.rated = false;
        let rules = Rules {
            sizes: q.sizes(|_| true),
            bot_counts: vec![],
        };
        let entries: Vec<Entry> = (1..=5).map(|i| e(i, 0.0)).collect();
        let formed = round(&q, &rules, &entries);
        let sizes: Vec<usize> = formed.iter().map(|f| f.seats.len()).collect();
        assert_eq!(sizes, [4], "5 waiting: one table of 4, one left");
        assert!(formed.iter().all(|f| f.seats.len() % 2 == 0));
    }

    #[test]
    fn groups_get_their_minimum_and_balanced_ratings() {
        let mut q = queue("q", 4, 4);
        q.groups = vec![
            GroupDesc {
                name: "red".into(),
                min: 2,
                max: 2,
            },
            GroupDesc {
                name: "blue".into(),
                min: 2,
                max: 2,
            },
        ];
        q.rated = false;
        let rules = Rules {
            sizes: q.sizes(|_| true),
            bot_counts: vec![],
        };
        let entries = [e(1, 1900.0), e(2, 1800.0), e(3, 1700.0), e(4, 1600.0)];
        let formed = round(&q, &rules, &entries);
        assert_eq!(formed.len(), 1);
        let f = &formed[0];
        assert_eq!(f.groups, [0, 0, 1, 1]);
        // Snake: 1900 and 1600 against 1800 and 1700.
        assert_eq!(
            f.seats,
            [
                Fill::Ticket(1),
                Fill::Ticket(4),
                Fill::Ticket(2),
                Fill::Ticket(3)
            ]
        );
    }

    #[test]
    fn a_lone_ticket_gets_bots_only_after_enough_rounds() {
        let mut q = queue("q", 2, 2);
        q.bots_after = Some(2);
        let mut lone = e(1, 1500.0);
        lone.missed = 1;
        assert!(round(&q, &two(), &[lone.clone()]).is_empty());
        lone.missed = 2;
        let formed = round(&q, &two(), &[lone.clone()]);
        assert_eq!(formed[0].seats, [Fill::Ticket(1), Fill::Bot]);
        // Not where the game allows no bots.
        let no_bots = Rules {
            sizes: vec![2],
            bot_counts: vec![],
        };
        assert!(round(&q, &no_bots, &[lone]).is_empty());
    }

    #[test]
    fn fairness_nobody_waits_forever_in_a_steady_stream() {
        // Every round two new tickets arrive with spread ratings; each
        // ticket is matched within a bounded number of rounds.
        let q = queue("q", 2, 2);
        let mut queued: Vec<Entry> = Vec::new();
        let mut next = 0u64;
        let mut worst = 0u32;
        for round_no in 0..200u64 {
            for _ in 0..2 {
                next += 1;
                let r = 1000.0 + ((next * 7919) % 1000) as f64;
                queued.push(e(next, r));
            }
            let formed = round(&q, &two(), &queued);
            let gone: Vec<u64> = formed.iter().flat_map(|f| f.tickets()).collect();
            queued.retain(|t| !gone.contains(&t.id));
            for t in &mut queued {
                t.missed += 1;
                t.waited += Duration::from_secs(1);
                worst = worst.max(t.missed);
            }
            assert!(
                queued.len() < 64,
                "round {round_no}: {} queued",
                queued.len()
            );
        }
        assert!(worst <= 20, "a ticket missed {worst} rounds");
    }
}
