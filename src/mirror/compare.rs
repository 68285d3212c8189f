//! Whether a file of the source goes to the target: by size and time, with
//! each side's time only as exact as that side knows it (a LIST line gives
//! minutes or days, MLSD and local files seconds).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use crate::protocol::Precision;

/// How many seconds a precision spans.
fn unit(precision: Precision) -> u64 {
    match precision {
        Precision::Exact => 1,
        Precision::Minute => 60,
        Precision::Day => 86_400,
    }
}

/// A modification time and how exact it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The time (the start of its minute or day when less exact).
    pub time: SystemTime,
    /// How exact it is.
    pub precision: Precision,
}

impl Stamp {
    /// An exact time.
    pub fn exact(time: SystemTime) -> Stamp {
        Stamp { time, precision: Precision::Exact }
    }

    /// Both times cut to the coarser precision of the two, in seconds
    /// since the epoch.
    fn cut_together(self, other: Stamp) -> (u64, u64) {
        let unit = unit(self.precision.max(other.precision));
        let cut = |time: SystemTime| time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs() / unit;
        (cut(self.time), cut(other.time))
    }

    /// The same time, as far as the less exact of the two can tell.
    pub fn same_as(self, other: Stamp) -> bool {
        let (a, b) = self.cut_together(other);
        a == b
    }

    /// Later than `other`, as far as the less exact of the two can tell.
    pub fn newer_than(self, other: Stamp) -> bool {
        let (a, b) = self.cut_together(other);
        a > b
    }
}

/// What is known of one side's copy of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// Its size, when known.
    pub size: Option<u64>,
    /// Its modification time, when known.
    pub time: Option<Stamp>,
}

/// Which files a mirror moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    /// Only files whose source copy is newer (and those the target lacks).
    pub only_newer: bool,
    /// Only files the target lacks.
    pub only_missing: bool,
    /// The target's times are the source's, kept at the last transfer. When
    /// they are not (a server that cannot set times gives an upload the
    /// time it arrived), a target newer than the source is no change.
    pub target_times_kept: bool,
}

/// Why a file is moved, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The target lacks it.
    New,
    /// The target's copy differs.
    Update,
    /// The target's copy is the same, or the rules leave it.
    Skip(&'static str),
}

/// Decides what happens to a source file given the target's copy, if any.
pub fn decide(source: Facts, target: Option<Facts>, rules: Rules) -> Decision {
    let Some(target) = target else { return Decision::New };
    if rules.only_missing {
        return Decision::Skip("the target has it");
    }
    let times = source.time.zip(target.time);
    if rules.only_newer {
        return match times {
            Some((s, t)) if s.newer_than(t) => Decision::Update,
            Some(_) => Decision::Skip("not newer"),
            // Without both times, only a size tells a change.
            None if sizes_differ(source, target) => Decision::Update,
            None => Decision::Skip("same size"),
        };
    }
    if sizes_differ(source, target) {
        return Decision::Update;
    }
    match times {
        Some((s, t)) if rules.target_times_kept && !s.same_as(t) => Decision::Update,
        Some((s, t)) if s.newer_than(t) => Decision::Update,
        _ => Decision::Skip("same size and time"),
    }
}

fn sizes_differ(source: Facts, target: Facts) -> bool {
    matches!((source.size, target.size), (Some(s), Some(t)) if s != t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64, precision: Precision) -> Option<Stamp> {
        Some(Stamp { time: UNIX_EPOCH + Duration::from_secs(seconds), precision })
    }

    fn facts(size: u64, seconds: u64, precision: Precision) -> Facts {
        Facts { size: Some(size), time: at(seconds, precision) }
    }

    const KEPT: Rules = Rules { only_newer: false, only_missing: false, target_times_kept: true };

    #[test]
    fn missing_files_are_new_whatever_the_rules() {
        let source = facts(1, 100, Precision::Exact);
        assert_eq!(decide(source, None, KEPT), Decision::New);
        let rules = Rules { only_newer: true, only_missing: true, ..KEPT };
        assert_eq!(decide(source, None, rules), Decision::New);
    }

    #[test]
    fn same_size_and_time_is_skipped_and_any_difference_is_an_update() {
        let source = facts(10, 1_000_000, Precision::Exact);
        assert_eq!(decide(source, Some(source), KEPT), Decision::Skip("same size and time"));
        assert_eq!(decide(source, Some(facts(11, 1_000_000, Precision::Exact)), KEPT), Decision::Update);
        assert_eq!(decide(source, Some(facts(10, 999_999, Precision::Exact)), KEPT), Decision::Update);
        assert_eq!(decide(source, Some(facts(10, 1_000_001, Precision::Exact)), KEPT), Decision::Update);
    }

    #[test]
    fn list_times_compare_to_their_minute_or_day() {
        // 1_000_050 is 30 s into the minute that starts at 1_000_020.
        let local = facts(10, 1_000_050, Precision::Exact);
        let listed_minute = facts(10, 1_000_020, Precision::Minute);
        assert_eq!(decide(listed_minute, Some(local), KEPT), Decision::Skip("same size and time"));
        let next_minute = facts(10, 1_000_020 + 60, Precision::Minute);
        assert_eq!(decide(next_minute, Some(local), KEPT), Decision::Update);
        let listed_day = facts(10, 1_000_050 - 1_000_050 % 86_400, Precision::Day);
        assert_eq!(decide(listed_day, Some(local), KEPT), Decision::Skip("same size and time"));
    }

    #[test]
    fn fractions_of_a_second_do_not_count() {
        let exact =
            |nanos| Facts { size: Some(1), time: Some(Stamp::exact(UNIX_EPOCH + Duration::new(1_000_000, nanos))) };
        assert_eq!(decide(exact(999_999_999), Some(exact(0)), KEPT), Decision::Skip("same size and time"));
    }

    #[test]
    fn only_missing_leaves_every_existing_file() {
        let rules = Rules { only_missing: true, ..KEPT };
        assert_eq!(
            decide(facts(1, 5, Precision::Exact), Some(facts(2, 1, Precision::Exact)), rules),
            Decision::Skip("the target has it")
        );
    }

    #[test]
    fn only_newer_moves_only_a_newer_source() {
        let rules = Rules { only_newer: true, ..KEPT };
        let old = facts(1, 100, Precision::Exact);
        let new = facts(2, 200, Precision::Exact);
        assert_eq!(decide(new, Some(old), rules), Decision::Update);
        assert_eq!(decide(old, Some(new), rules), Decision::Skip("not newer"));
        let unknown = Facts { size: Some(1), time: None };
        assert_eq!(decide(unknown, Some(Facts { size: Some(3), time: None }), rules), Decision::Update);
        assert_eq!(decide(unknown, Some(unknown), rules), Decision::Skip("same size"));
    }

    #[test]
    fn targets_that_cannot_keep_times_change_only_when_the_source_is_newer() {
        let rules = Rules { target_times_kept: false, ..KEPT };
        let source = facts(10, 100, Precision::Exact);
        let uploaded_later = facts(10, 500, Precision::Exact);
        assert_eq!(decide(source, Some(uploaded_later), rules), Decision::Skip("same size and time"));
        assert_eq!(decide(facts(10, 900, Precision::Exact), Some(uploaded_later), rules), Decision::Update);
        assert_eq!(decide(facts(11, 100, Precision::Exact), Some(uploaded_later), rules), Decision::Update);
    }
}
