use super::*;
use ggzdmod::wire::ToGame;

fn key(program: &str) -> WarmKey {
    WarmKey {
        argv: vec![program.to_string(), "--variant".into(), "dev".into()],
        cwd: PathBuf::from("/data/gamedata/TicTacToe"),
        layout: LaunchLayout::Legacy,
        limits: GameLimits::default(),
    }
}

fn spec(key: &WarmKey) -> SpawnSpec {
    SpawnSpec {
        argv: key.argv.clone(),
        cwd: key.cwd.clone(),
        layout: key.layout,
        launch: ToGame::Launch {
            game: "tictactoe".into(),
            savegame: None,
            seats: Vec::new(),
            spectators: 0,
        },
        limits: key.limits,
        savegame_env: None,
    }
}

/// Spawns whatever is due at `now`, handles numbered from `next`.
fn refill(pool: &mut Pool<u32>, now: Instant, next: &mut u32) -> Vec<WarmKey> {
    let mut started = Vec::new();
    while let Some(k) = pool.next_to_spawn(now, false) {
        assert!(pool.add(&k, *next).is_none());
        *next += 1;
        started.push(k);
    }
    started
}

#[test]
fn a_key_serves_only_the_same_launch_and_never_an_environment_savegame() {
    let k = key("/games/ttt");
    assert!(k.serves(&spec(&k)));
    let mut other = spec(&k);
    other.argv.push("--room-arg".into());
    assert!(!k.serves(&other));
    let mut other = spec(&k);
    other.cwd = PathBuf::from("/elsewhere");
    assert!(!k.serves(&other));
    let mut other = spec(&k);
    other.layout = LaunchLayout::Trunk;
    assert!(!k.serves(&other));
    let mut other = spec(&k);
    other.limits.cpu_seconds = Some(5);
    assert!(!k.serves(&other));
    let mut restore = spec(&k);
    restore.savegame_env = Some("restore.abc".into());
    assert!(!k.serves(&restore));
}

#[test]
fn refills_are_paced_one_gap_apart_after_a_bounded_catch_up() {
    let t0 = Instant::now();
    let mut pool = Pool::default();
    assert!(pool.retarget(vec![key("/a")], 7).is_empty());
    assert_eq!(pool.due(t0, false), Some(t0));
    let mut next = 0;
    // A first turn catches up a few, not the whole target.
    let first = refill(&mut pool, t0, &mut next).len();
    assert_eq!(first, REFILL_CATCH_UP as usize);
    // Then one a gap.
    assert_eq!(pool.due(t0, false), Some(t0 + REFILL_GAP));
    assert!(pool.next_to_spawn(t0 + REFILL_GAP / 2, false).is_none());
    assert_eq!(refill(&mut pool, t0 + REFILL_GAP, &mut next).len(), 1);
    // A turn two gaps long gets two.
    assert_eq!(refill(&mut pool, t0 + REFILL_GAP * 3, &mut next).len(), 2);
    assert_eq!(pool.len(), 7);
    assert_eq!(pool.due(t0 + REFILL_GAP * 3, false), None);
    assert!(pool.next_to_spawn(t0 + REFILL_GAP * 10, false).is_none());
}

#[test]
fn an_idle_spell_is_not_saved_up_into_a_large_burst() {
    let t0 = Instant::now();
    let k = key("/a");
    let mut pool = Pool::default();
    pool.retarget(vec![k.clone()], 20);
    let mut next = 0;
    let mut t = t0;
    while pool.len() < 20 {
        refill(&mut pool, t, &mut next);
        t += REFILL_GAP;
    }
    for _ in 0..20 {
        assert!(pool.take(&spec(&k)).is_some());
    }
    let later = t + REFILL_GAP * 1000;
    assert_eq!(
        refill(&mut pool, later, &mut next).len(),
        REFILL_CATCH_UP as usize
    );
    assert_eq!(refill(&mut pool, later + REFILL_GAP, &mut next).len(), 1);
}

#[test]
fn a_taken_process_is_the_oldest_and_is_refilled() {
    let t0 = Instant::now();
    let k = key("/a");
    let mut pool = Pool::default();
    pool.retarget(vec![k.clone()], 2);
    let mut next = 0;
    refill(&mut pool, t0, &mut next);
    refill(&mut pool, t0 + REFILL_GAP, &mut next);
    assert_eq!(pool.take(&spec(&k)), Some(0));
    assert_eq!(pool.take(&spec(&key("/b"))), None);
    let later = t0 + REFILL_GAP * 5;
    assert_eq!(pool.due(later, false), Some(later));
    assert_eq!(refill(&mut pool, later, &mut next), vec![k.clone()]);
    assert_eq!(pool.take(&spec(&k)), Some(1));
    assert_eq!(pool.take(&spec(&k)), Some(2));
    // Empty: the launch starts its own process.
    assert_eq!(pool.take(&spec(&k)), None);
}

#[test]
fn the_largest_deficit_goes_first_and_duplicates_count_once() {
    let t0 = Instant::now();
    let (a, b) = (key("/a"), key("/b"));
    let mut pool = Pool::default();
    pool.retarget(vec![a.clone(), b.clone(), a.clone()], 2);
    let mut next = 0;
    let mut t = t0;
    for _ in 0..4 {
        refill(&mut pool, t, &mut next);
        t += REFILL_GAP;
    }
    assert_eq!(pool.len(), 4);
    assert!(pool.next_to_spawn(t, false).is_none());
    pool.take(&spec(&b));
    pool.take(&spec(&b));
    pool.take(&spec(&a));
    assert_eq!(pool.next_to_spawn(t, false), Some(b));
}

#[test]
fn a_retarget_returns_every_idle_process_and_bounds_the_total() {
    let t0 = Instant::now();
    let mut pool = Pool::default();
    pool.retarget(vec![key("/a")], 2);
    let mut next = 0;
    refill(&mut pool, t0, &mut next);
    refill(&mut pool, t0 + REFILL_GAP, &mut next);
    // Same key again: its processes still go (the program may be new).
    let mut old = pool.retarget(vec![key("/a")], 2);
    old.sort();
    assert_eq!(old, vec![0, 1]);
    assert!(pool.is_empty());
    // A process started for a key that went is not kept.
    assert_eq!(pool.add(&key("/gone"), 7), Some(7));
    let keys: Vec<WarmKey> = (0..10).map(|i| key(&format!("/g{i}"))).collect();
    pool.retarget(keys, 64);
    let wanted: usize = pool.kinds.iter().map(|k| k.want).sum();
    assert_eq!(wanted, MAX_WARM);
    assert!(pool.retarget(Vec::new(), 0).is_empty());
    assert_eq!(pool.due(t0, false), None);
}

#[test]
fn failures_pause_the_key_with_a_doubling_backoff_until_one_is_served() {
    let t0 = Instant::now();
    let (a, b) = (key("/a"), key("/b"));
    let mut pool = Pool::default();
    pool.retarget(vec![a.clone(), b.clone()], 1);
    let mut next = 0;
    assert_eq!(pool.next_to_spawn(t0, false), Some(a.clone()));
    pool.failed(&a, t0);
    // The other key is not held up.
    let t1 = t0 + REFILL_GAP;
    assert_eq!(refill(&mut pool, t1, &mut next), vec![b.clone()]);
    assert_eq!(pool.due(t1, false), Some(t0 + FIRST_BACKOFF));
    let t2 = t0 + FIRST_BACKOFF;
    assert_eq!(pool.next_to_spawn(t2, false), Some(a.clone()));
    pool.failed(&a, t2);
    assert_eq!(pool.due(t2, false), Some(t2 + FIRST_BACKOFF * 2));
    let t3 = t2 + FIRST_BACKOFF * 2;
    assert_eq!(refill(&mut pool, t3, &mut next), vec![a.clone()]);
    // It died while waiting: found by its handle, and paused again.
    let (k, h) = pool.remove(|h| *h == 1).unwrap();
    assert_eq!((k.clone(), h), (a.clone(), 1));
    pool.failed(&k, t3);
    assert_eq!(pool.due(t3, false), Some(t3 + FIRST_BACKOFF * 4));
    // Serving a launch resets the backoff.
    let t4 = t3 + FIRST_BACKOFF * 4;
    refill(&mut pool, t4, &mut next);
    assert!(pool.take(&spec(&a)).is_some());
    pool.failed(&a, t4);
    assert_eq!(pool.due(t4, false), Some(t4 + FIRST_BACKOFF));
    for _ in 0..20 {
        pool.failed(&a, t4);
    }
    assert_eq!(pool.due(t4, false), Some(t4 + MAX_BACKOFF));
}

#[test]
fn with_no_launch_under_way_refills_ignore_the_pace() {
    let t0 = Instant::now();
    let k = key("/a");
    let mut pool = Pool::default();
    pool.retarget(vec![k.clone()], 12);
    let mut next = 0;
    // Paced: the catch-up, then nothing until the clock comes.
    assert_eq!(
        refill(&mut pool, t0, &mut next).len(),
        REFILL_CATCH_UP as usize
    );
    assert_eq!(pool.due(t0, false), Some(t0 + REFILL_GAP));
    // Quiet: due now, and every one wanted may start.
    assert_eq!(pool.due(t0, true), Some(t0));
    let mut quiet = 0;
    while let Some(k) = pool.next_to_spawn(t0, true) {
        assert!(pool.add(&k, next).is_none());
        next += 1;
        quiet += 1;
    }
    assert_eq!(quiet, 12 - REFILL_CATCH_UP as usize);
    assert_eq!(pool.due(t0, true), None);
    // A paused key stays paused, quiet or not.
    pool.take(&spec(&k));
    pool.failed(&k, t0);
    assert!(pool.next_to_spawn(t0, true).is_none());
    assert!(pool.due(t0, true).is_some_and(|at| at > t0));
}

#[test]
fn a_burst_holds_refills_back_for_a_grace_then_lets_them_pace() {
    let t0 = Instant::now();
    let mut burst = Burst::default();
    assert_eq!(burst.refills(t0), Refills::Now);
    burst.launched(t0);
    burst.launched(t0 + REFILL_GAP);
    assert_eq!(burst.refills(t0), Refills::HeldUntil(t0 + BURST_GRACE));
    // Its start is the first launch's, whatever came after.
    assert_eq!(
        burst.refills(t0 + REFILL_GAP),
        Refills::HeldUntil(t0 + BURST_GRACE)
    );
    assert_eq!(burst.refills(t0 + BURST_GRACE), Refills::Paced);
    burst.answered();
    assert_eq!(burst.refills(t0), Refills::HeldUntil(t0 + BURST_GRACE));
    burst.answered();
    assert_eq!(burst.refills(t0), Refills::Now);
    // A new burst starts its own grace.
    let t1 = t0 + BURST_GRACE * 3;
    burst.launched(t1);
    assert_eq!(burst.refills(t1), Refills::HeldUntil(t1 + BURST_GRACE));
    // More answers than launches never underflow.
    burst.answered();
    burst.answered();
    assert_eq!(burst.refills(t1), Refills::Now);
}

#[test]
fn a_quiet_turn_after_a_long_one_may_start_more() {
    let t0 = Instant::now();
    let mut pool: Pool<u32> = Pool::default();
    assert_eq!(pool.quiet_budget(t0), QUIET_A_TURN);
    // A short turn: the least.
    assert_eq!(pool.quiet_budget(t0), QUIET_A_TURN);
    // Five milliseconds: five times the rate.
    let t1 = t0 + Duration::from_millis(5);
    assert_eq!(pool.quiet_budget(t1), 5 * QUIET_PER_MS as usize);
    // Never more than the bound, however long.
    assert_eq!(pool.quiet_budget(t1 + Duration::from_secs(1)), QUIET_MOST);
}
