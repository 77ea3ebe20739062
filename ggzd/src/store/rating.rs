//! The original ggzd rating model (docs/config-and-data.md §10.4): an ELO-like
//! update under a normal performance model, for any number of teams.
//!
//! The numbers follow the original exactly, including its discretisation:
//! Φ comes from a table at 0.01 resolution and the expected share is a
//! Riemann sum over p in [-3, 3). Keeping that (rather than an exact
//! integral) makes ratings agree with an original server's to the last
//! displayed digit.

use std::sync::OnceLock;

use super::GameResult;

/// The rating of a player without a stats row.
pub const DEFAULT_RATING: f64 = 1500.0;

/// One participant as the rating update sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rated {
    /// Rating before the game.
    pub rating: f64,
    /// Team number; negative means "no team" (a team of one).
    pub team: i32,
    /// The reported result.
    pub result: GameResult,
}

/// Φ is tabulated for z = -3.00, -2.99, ..., 3.00.
const STEPS: i64 = 300;

fn table() -> &'static [f64] {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (-STEPS..=STEPS)
            .map(|i| normal_cdf(i as f64 / 100.0))
            .collect()
    })
}

/// The standard normal CDF, via Marsaglia's series
/// Φ(z) = ½ + φ(z)·(z + z³/3 + z⁵/(3·5) + …), accurate to double precision
/// for the |z| ≤ 3 the table needs.
fn normal_cdf(z: f64) -> f64 {
    let mut term = z;
    let mut sum = z;
    let z2 = z * z;
    let mut n = 1.0;
    for _ in 0..500 {
        n += 2.0;
        term *= z2 / n;
        let next = sum + term;
        if next == sum {
            break;
        }
        sum = next;
    }
    let density = (-z2 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    0.5 + sum * density
}

/// Φ as the original evaluates it: argument rounded to the nearest 0.01,
/// 0 below -3 and 1 above 3.
pub fn phi(z: f64) -> f64 {
    let idx = (z * 100.0).round();
    if idx.is_nan() {
        return 0.5;
    }
    if idx > STEPS as f64 {
        return 1.0;
    }
    if idx < -(STEPS as f64) {
        return 0.0;
    }
    // In range by the checks above, so the cast is exact.
    let i = (idx as i64 + STEPS) as usize;
    table().get(i).copied().unwrap_or(0.5)
}

/// K factor from the player's own rating.
pub fn k_factor(rating: f64) -> f64 {
    if rating < 2000.0 {
        30.0
    } else if rating > 2400.0 {
        10.0
    } else {
        130.0 - rating / 20.0
    }
}

/// The rating as displayed and sent to clients: C's `(int)(r + 0.5)`.
pub fn display(rating: f64) -> i64 {
    (rating + 0.5) as i64
}

fn score(result: GameResult) -> f64 {
    match result {
        GameResult::Win => 1.0,
        GameResult::Tie | GameResult::None => 0.5,
        GameResult::Loss | GameResult::Forfeit => 0.0,
    }
}

/// Expected shares of the teams with mean ratings `ratings`, summing to 1.
pub fn expected_shares(ratings: &[f64]) -> Vec<f64> {
    let x: Vec<f64> = ratings.iter().map(|r| r / 200.0).collect();
    let mut shares: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(t, &xt)| {
            (-STEPS..STEPS)
                .map(|k| {
                    let p = k as f64 / 100.0;
                    let density = phi(p + 0.01) - phi(p);
                    let others: f64 = x
                        .iter()
                        .enumerate()
                        .filter(|&(u, _)| u != t)
                        .map(|(_, &xu)| phi(p + xt - xu))
                        .product();
                    density * others
                })
                .sum()
        })
        .collect();
    let total: f64 = shares.iter().sum();
    let n = shares.len() as f64;
    for s in &mut shares {
        *s = if total > 0.0 { *s / total } else { 1.0 / n };
    }
    shares
}

/// New ratings for all participants, in input order.
pub fn rate(players: &[Rated]) -> Vec<f64> {
    let ratings: Vec<f64> = players
        .iter()
        .map(|p| {
            if p.rating.is_finite() {
                p.rating
            } else {
                DEFAULT_RATING
            }
        })
        .collect();

    // Team index per player; unteamed players get fresh teams of one, in
    // order, numbered above the highest given team.
    let mut next_free = players
        .iter()
        .map(|p| p.team)
        .filter(|&t| t >= 0)
        .max()
        .map_or(0, |t| i64::from(t) + 1);
    let mut team_ids: Vec<i64> = Vec::new();
    let mut team_of: Vec<usize> = Vec::with_capacity(players.len());
    for p in players {
        let id = if p.team >= 0 {
            i64::from(p.team)
        } else {
            next_free += 1;
            next_free - 1
        };
        let idx = match team_ids.iter().position(|&t| t == id) {
            Some(i) => i,
            None => {
                team_ids.push(id);
                team_ids.len() - 1
            }
        };
        team_of.push(idx);
    }

    let teams = team_ids.len();
    let mut sum = vec![0.0; teams];
    let mut members = vec![0usize; teams];
    let mut scores = vec![0.0; teams];
    for ((p, &r), &t) in players.iter().zip(&ratings).zip(&team_of) {
        if let (Some(s), Some(m), Some(sc)) =
            (sum.get_mut(t), members.get_mut(t), scores.get_mut(t))
        {
            *s += r;
            *m += 1;
            // Members should agree; if not, the last one decides.
            *sc = score(p.result);
        }
    }
    let means: Vec<f64> = sum
        .iter()
        .zip(&members)
        .map(|(&s, &m)| if m > 0 { s / m as f64 } else { DEFAULT_RATING })
        .collect();

    let total: f64 = scores.iter().sum();
    if total < 0.01 {
        scores.iter_mut().for_each(|s| *s = 0.5);
    }
    let total: f64 = scores.iter().sum();
    if total > 0.0 {
        scores.iter_mut().for_each(|s| *s /= total);
    }

    let expected = expected_shares(&means);
    ratings
        .iter()
        .zip(&team_of)
        .map(|(&r, &t)| {
            let s = scores.get(t).copied().unwrap_or(0.0);
            let e = expected.get(t).copied().unwrap_or(0.0);
            r + k_factor(r) * (s - e)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rating: f64, team: i32, result: GameResult) -> Rated {
        Rated {
            rating,
            team,
            result,
        }
    }

    #[test]
    fn phi_table_values() {
        assert_eq!(phi(0.0), 0.5);
        assert!((phi(1.0) - 0.841_344_746).abs() < 1e-9);
        assert!((phi(-1.96) - 0.024_997_895).abs() < 1e-9);
        assert!((phi(3.0) - 0.998_650_102).abs() < 1e-9);
        // Rounded to the nearest 0.01.
        assert_eq!(phi(1.004), phi(1.0));
        assert_eq!(phi(1.006), phi(1.01));
        // Clamped outside [-3, 3].
        assert_eq!(phi(3.01), 1.0);
        assert_eq!(phi(-3.01), 0.0);
        assert_eq!(phi(f64::INFINITY), 1.0);
        assert_eq!(phi(f64::NEG_INFINITY), 0.0);
        assert_eq!(phi(f64::NAN), 0.5);
    }

    #[test]
    fn k_factor_bands() {
        assert_eq!(k_factor(1500.0), 30.0);
        assert_eq!(k_factor(1999.9), 30.0);
        assert_eq!(k_factor(2000.0), 30.0);
        assert_eq!(k_factor(2200.0), 20.0);
        assert_eq!(k_factor(2400.0), 10.0);
        assert_eq!(k_factor(2500.0), 10.0);
    }

    #[test]
    fn display_rounds_half_up() {
        assert_eq!(display(1544.7), 1545);
        assert_eq!(display(1515.0), 1515);
        assert_eq!(display(1484.5), 1485);
        assert_eq!(display(1484.49), 1484);
    }

    #[test]
    fn two_equal_players() {
        let r = rate(&[
            p(1500.0, -1, GameResult::Win),
            p(1500.0, -1, GameResult::Loss),
        ]);
        assert_eq!(r.len(), 2);
        assert!((r[0] - 1515.0).abs() < 1e-9, "{r:?}");
        assert!((r[1] - 1485.0).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn transcript_example_1531_vs_1500() {
        // docs/client-server.md §18.5: 1531 beats 1500; E ~ 0.544, shown 1545.
        let r = rate(&[
            p(1531.0, -1, GameResult::Win),
            p(1500.0, -1, GameResult::Loss),
        ]);
        let e = expected_shares(&[1531.0, 1500.0]);
        assert!((e[0] - 0.544).abs() < 0.001, "{e:?}");
        assert!((e[0] + e[1] - 1.0).abs() < 1e-12);
        assert_eq!(display(r[0]), 1545);
        // kim loses what bob gains (same K).
        assert!((r[0] - 1531.0 + (r[1] - 1500.0)).abs() < 1e-9);
    }

    #[test]
    fn two_teams_approximate_closed_form() {
        // For two teams, E_a ~ Φ((Ra - Rb) / (200·√2)).
        let e = expected_shares(&[1700.0, 1500.0]);
        let exact = normal_cdf(200.0 / (200.0 * 2f64.sqrt()));
        assert!((e[0] - exact).abs() < 0.005, "{e:?} vs {exact}");
    }

    #[test]
    fn tie_between_equals_changes_nothing() {
        let r = rate(&[
            p(1500.0, -1, GameResult::Tie),
            p(1500.0, -1, GameResult::Tie),
        ]);
        assert!((r[0] - 1500.0).abs() < 1e-9);
        assert!((r[1] - 1500.0).abs() < 1e-9);
    }

    #[test]
    fn everyone_lost_counts_as_everyone_tied() {
        let lost = rate(&[
            p(1600.0, -1, GameResult::Loss),
            p(1500.0, -1, GameResult::Forfeit),
        ]);
        let tied = rate(&[
            p(1600.0, -1, GameResult::Tie),
            p(1500.0, -1, GameResult::Tie),
        ]);
        assert_eq!(lost, tied);
        assert!(lost[0] < 1600.0 && lost[1] > 1500.0);
    }

    #[test]
    fn teams_use_mean_rating_and_share_the_score() {
        // Team 0: 1400 and 1600 (mean 1500) beats team 1: two 1500s.
        let r = rate(&[
            p(1400.0, 0, GameResult::Win),
            p(1500.0, 1, GameResult::Loss),
            p(1600.0, 0, GameResult::Win),
            p(1500.0, 1, GameResult::Loss),
        ]);
        for (got, want) in r.iter().zip([1415.0, 1485.0, 1615.0, 1485.0]) {
            assert!((got - want).abs() < 1e-9, "{r:?}");
        }
    }

    #[test]
    fn last_member_decides_team_score() {
        let r = rate(&[
            p(1500.0, 0, GameResult::Loss),
            p(1500.0, 0, GameResult::Win),
            p(1500.0, 1, GameResult::Loss),
        ]);
        assert!((r[0] - 1515.0).abs() < 1e-9 && (r[1] - 1515.0).abs() < 1e-9);
        assert!((r[2] - 1485.0).abs() < 1e-9);
    }

    #[test]
    fn unteamed_players_do_not_join_given_teams() {
        // The unteamed player gets team 2, not team 0 or 1.
        let r = rate(&[
            p(1500.0, 0, GameResult::Loss),
            p(1500.0, 1, GameResult::Loss),
            p(1500.0, -1, GameResult::Win),
        ]);
        let e = expected_shares(&[1500.0, 1500.0, 1500.0]);
        assert!(e.iter().all(|s| (s - 1.0 / 3.0).abs() < 1e-9), "{e:?}");
        assert!((r[2] - (1500.0 + 30.0 * (1.0 - 1.0 / 3.0))).abs() < 1e-9);
        assert!((r[0] - (1500.0 - 10.0)).abs() < 1e-9);
    }

    #[test]
    fn multi_player_free_for_all_is_zero_sum_at_equal_k() {
        let players = [
            p(1500.0, -1, GameResult::Win),
            p(1450.0, -1, GameResult::Loss),
            p(1620.0, -1, GameResult::Loss),
            p(1380.0, -1, GameResult::Loss),
        ];
        let r = rate(&players);
        let delta: f64 = r.iter().zip(&players).map(|(n, o)| n - o.rating).sum();
        assert!(delta.abs() < 1e-9, "{r:?}");
        assert!(r[0] > 1500.0 && r[1] < 1450.0 && r[2] < 1620.0 && r[3] < 1380.0);
        // The stronger loser drops more.
        assert!(1620.0 - r[2] > 1380.0 - r[3]);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(rate(&[]).is_empty());
        let r = rate(&[p(1500.0, -1, GameResult::Win)]);
        assert!((r[0] - 1500.0).abs() < 1e-9);
        let r = rate(&[
            p(f64::NAN, -1, GameResult::Win),
            p(1500.0, -1, GameResult::Loss),
        ]);
        assert!((r[0] - 1515.0).abs() < 1e-9);
        // Extreme teams never produce NaN.
        let r = rate(&[
            p(1e12, i32::MAX, GameResult::Loss),
            p(-1e12, -1, GameResult::Win),
        ]);
        assert!(r.iter().all(|x| x.is_finite()), "{r:?}");
    }
}
