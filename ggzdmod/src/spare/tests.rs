use std::collections::HashSet;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use super::*;

/// A fresh directory under the system's temporary directory, removed on
/// drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("ggzdmod-spare-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn with_spares(tag: &str, names: &[&str]) -> TempDir {
        let d = TempDir::new(tag);
        std::fs::create_dir(d.0.join(SPARE_DIR)).unwrap();
        for name in names {
            std::fs::write(d.0.join(SPARE_DIR).join(name), b"an old game's events\n").unwrap();
        }
        d
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn inode(path: &Path) -> u64 {
    std::fs::symlink_metadata(path).unwrap().ino()
}

fn spare_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(SPARE_DIR)).unwrap().count()
}

#[test]
fn a_spare_is_claimed_renamed_and_emptied() {
    let d = TempDir::with_spares("claim", &["0"]);
    let old = inode(&d.0.join(SPARE_DIR).join("0"));
    let (mut file, name) = claim_or_create(&d.0, "events.").unwrap();
    assert!(name.starts_with("events.") && name.len() == "events.".len() + 6);
    assert_eq!(inode(&d.0.join(&name)), old, "the spare's inode is reused");
    assert_eq!(spare_count(&d.0), 0);
    file.write_all(b"new\n").unwrap();
    assert_eq!(std::fs::read(d.0.join(&name)).unwrap(), b"new\n");
}

#[test]
fn without_spares_a_file_is_created() {
    let d = TempDir::new("none");
    assert!(claim(&d.0, "events.").is_none());
    let (_, name) = claim_or_create(&d.0, "events.").unwrap();
    assert!(d.0.join(&name).is_file());
    assert!(
        !d.0.join(SPARE_DIR).exists(),
        "a claimer never makes the spare directory"
    );
    std::fs::create_dir(d.0.join(SPARE_DIR)).unwrap();
    assert!(claim(&d.0, "events.").is_none(), "an empty spare directory");
}

#[test]
fn racing_claimers_never_share_a_file() {
    for round in 0..5 {
        let d = TempDir::with_spares(&format!("race{round}"), &["0", "1", "3"]);
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (dir, barrier) = (d.0.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    let claimed = claim(&dir, "events.");
                    claimed.map(|(file, name)| (file.metadata().unwrap().ino(), name, file))
                })
            })
            .collect();
        // Every file stays open until all are compared, so no inode
        // number can be freed and handed out twice meanwhile.
        let got: Vec<_> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect();
        let inodes: HashSet<u64> = got.iter().map(|(ino, _, _)| *ino).collect();
        let names: HashSet<&String> = got.iter().map(|(_, name, _)| name).collect();
        assert_eq!(inodes.len(), got.len(), "two claimers got one file");
        assert_eq!(names.len(), got.len());
        assert!(got.len() <= 3);
        assert_eq!(spare_count(&d.0) + got.len(), 3, "no spare lost");
    }
}

#[test]
fn a_symlink_among_the_spares_is_never_followed() {
    let d = TempDir::with_spares("symlink", &[]);
    let target = d.0.join("precious");
    std::fs::write(&target, b"keep me").unwrap();
    std::os::unix::fs::symlink(&target, d.0.join(SPARE_DIR).join("2")).unwrap();
    assert!(claim(&d.0, "events.").is_none());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    let left: Vec<_> = std::fs::read_dir(&d.0)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(left.len(), 2, "only precious and .spare: {left:?}");
    assert_eq!(spare_count(&d.0), 0, "the link is removed, not its target");
}

#[test]
fn a_symlinked_spare_directory_is_not_used() {
    let d = TempDir::new("symdir");
    let elsewhere = TempDir::with_spares("symdir-elsewhere", &["1"]);
    std::os::unix::fs::symlink(elsewhere.0.join(SPARE_DIR), d.0.join(SPARE_DIR)).unwrap();
    assert!(claim(&d.0, "events.").is_none());
    assert!(elsewhere.0.join(SPARE_DIR).join("1").is_file());
}

#[test]
fn a_spare_someone_still_holds_is_not_reused() {
    let d = TempDir::with_spares("held", &["0"]);
    let holder = File::open(d.0.join(SPARE_DIR).join("0")).unwrap();
    hold(&holder);
    assert!(claim(&d.0, "events.").is_none());
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &holder, &mut bytes).unwrap();
    assert_eq!(
        bytes, b"an old game's events\n",
        "the holder's bytes are intact"
    );
    assert_eq!(
        std::fs::read_dir(&d.0).unwrap().count(),
        1,
        "only .spare is left"
    );
}

#[test]
fn slots_are_numbers_below_the_bound_and_claims_try_the_low_ones_first() {
    assert_eq!(slot_of("0"), Some(0));
    assert_eq!(slot_of(&slot_name(SPARE_SLOTS - 1)), Some(SPARE_SLOTS - 1));
    for not_a_slot in ["", "01", "+1", "-1", "2048", "99999", "events.abc", "1a"] {
        assert_eq!(slot_of(not_a_slot), None, "{not_a_slot}");
    }
    let mut seed = 12345;
    for _ in 0..100 {
        let slots = slots_to_try(&mut seed);
        assert_eq!(slots.len(), TRIES);
        let mut low = slots[..4].to_vec();
        low.sort_unstable();
        assert_eq!(low, [0, 1, 2, 3]);
        assert!(slots.iter().all(|&s| s < SPARE_SLOTS));
    }
    // Between two prunes the spares left are the high slots: the tries
    // reach them.
    let top_half_tried = (0..1000)
        .filter(|_| {
            slots_to_try(&mut seed)
                .iter()
                .any(|&s| s >= SPARE_SLOTS / 2)
        })
        .count();
    assert!(top_half_tried > 800, "{top_half_tried} of 1000");
}
