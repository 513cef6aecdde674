//! The staff's instruction of a dossier besides its state: opinions asked of partners (by an
//! invitation sent by e-mail, answered without an account, reminded before and after the
//! deadline), and the free labels staff put on dossiers.

use chrono::{Days, NaiveDate};

/// Days after the deadline during which the invitation's link still works (a late opinion is
/// still worth reading before the committee).
pub const GRACE_DAYS: u64 = 14;
/// How many days before the deadline the first reminder goes.
pub const REMIND_DAYS_BEFORE: u64 = 3;
/// Longest label, in characters.
pub const MAX_LABEL: usize = 40;
/// Longest question or opinion, in characters.
pub const MAX_TEXT: usize = 5_000;

/// A partner's opinion on a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Favourable,
    Reserved,
    Unfavourable,
}

impl Verdict {
    pub const ALL: [Self; 3] = [Self::Favourable, Self::Reserved, Self::Unfavourable];

    /// The stable code stored and sent by forms.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Favourable => "favorable",
            Self::Reserved => "reserve",
            Self::Unfavourable => "defavorable",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Favourable => "Favorable",
            Self::Reserved => "Réservé",
            Self::Unfavourable => "Défavorable",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// The last day an invitation's link works: the deadline plus [`GRACE_DAYS`].
#[must_use]
pub fn link_expires_on(deadline: NaiveDate) -> NaiveDate {
    deadline
        .checked_add_days(Days::new(GRACE_DAYS))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether an invitation's link still works on `today`.
#[must_use]
pub fn link_open(deadline: NaiveDate, today: NaiveDate) -> bool {
    today <= link_expires_on(deadline)
}

/// A reminder of an unanswered invitation; each is sent once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// A few days before the deadline.
    Soon,
    /// Once the deadline has passed.
    Overdue,
}

impl Reminder {
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Soon => "avant_echeance",
            Self::Overdue => "echeance_depassee",
        }
    }
}

/// Where an invitation stands, as far as reminders go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderState {
    pub deadline: NaiveDate,
    pub answered: bool,
    pub reminded_soon: bool,
    pub reminded_overdue: bool,
}

/// The reminder due on `today`, if any: none for an answered invitation or one whose link has
/// expired; the overdue one after the deadline; the early one within [`REMIND_DAYS_BEFORE`]
/// days of it (not when the invitation was sent that late and the deadline is still ahead: the
/// invitation itself is fresh, and `sent_on` tells).
#[must_use]
pub fn reminder_due(
    state: ReminderState,
    sent_on: NaiveDate,
    today: NaiveDate,
) -> Option<Reminder> {
    if state.answered || !link_open(state.deadline, today) {
        return None;
    }
    if today > state.deadline {
        return (!state.reminded_overdue).then_some(Reminder::Overdue);
    }
    let soon_from = state
        .deadline
        .checked_sub_days(Days::new(REMIND_DAYS_BEFORE))
        .unwrap_or(NaiveDate::MIN);
    (today >= soon_from && sent_on < soon_from && !state.reminded_soon).then_some(Reminder::Soon)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("Étiquette : indiquez-la ({MAX_LABEL} caractères au plus).")]
    Length,
}

/// A label's name as staff typed it: trimmed, inner spaces collapsed, 1 to [`MAX_LABEL`]
/// characters.
pub fn label_name(input: &str) -> Result<String, LabelError> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_LABEL {
        return Err(LabelError::Length);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn waiting(deadline: NaiveDate) -> ReminderState {
        ReminderState {
            deadline,
            answered: false,
            reminded_soon: false,
            reminded_overdue: false,
        }
    }

    #[test]
    fn verdicts_read_back_from_their_codes() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.code()), Some(v));
        }
        assert_eq!(Verdict::parse("peut-etre"), None);
    }

    #[test]
    fn a_link_works_until_the_grace_period_after_the_deadline_ends() {
        assert!(link_open(day(10), day(10)));
        assert!(link_open(day(10), day(24)));
        assert!(!link_open(day(10), day(25)));
    }

    #[test]
    fn a_reminder_goes_a_few_days_before_the_deadline_then_once_overdue() {
        let state = waiting(day(20));
        assert_eq!(reminder_due(state, day(1), day(16)), None);
        assert_eq!(reminder_due(state, day(1), day(17)), Some(Reminder::Soon));
        let reminded = ReminderState {
            reminded_soon: true,
            ..state
        };
        assert_eq!(reminder_due(reminded, day(1), day(19)), None);
        assert_eq!(reminder_due(reminded, day(1), day(20)), None);
        assert_eq!(
            reminder_due(reminded, day(1), day(21)),
            Some(Reminder::Overdue)
        );
        let both = ReminderState {
            reminded_overdue: true,
            ..reminded
        };
        assert_eq!(reminder_due(both, day(1), day(22)), None);
    }

    #[test]
    fn no_reminder_for_an_answer_a_fresh_invitation_or_an_expired_link() {
        let answered = ReminderState {
            answered: true,
            ..waiting(day(20))
        };
        assert_eq!(reminder_due(answered, day(1), day(21)), None);
        // Sent two days before its deadline: no early reminder.
        assert_eq!(reminder_due(waiting(day(20)), day(18), day(19)), None);
        let expired = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        assert_eq!(reminder_due(waiting(day(20)), day(1), expired), None);
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(
            label_name("  QPV   prioritaire ").unwrap(),
            "QPV prioritaire"
        );
        assert_eq!(label_name("   "), Err(LabelError::Length));
        assert_eq!(label_name(&"x".repeat(41)), Err(LabelError::Length));
    }
}
