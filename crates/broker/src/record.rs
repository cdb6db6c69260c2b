//! The broker's write-ahead record: nothing that grants or changes access at AWS happens
//! before the broker's journal has accepted a `broker_action_started` saying it is about to,
//! and each one is followed by its `broker_action_ended` (done, not done, or unknown) together
//! with the events that say what it did.
//!
//! The code that acts (the state write, the delivery of a credential set, Identity Center's
//! create and delete) takes an [`Intent`], and only [`Recorder::start`] makes one, once the
//! journal has it. An intent dropped without an outcome (an error or a cancelled pass) leaves an
//! `unknown` outcome behind; outcomes the journal refuses are kept in memory and appended, in
//! order, before anything else the next time it accepts (the pass stops meanwhile). A start an
//! earlier broker process left without its outcome (it stopped in between) is ended as
//! `unknown` by the next process, once it is older than any action can take.

use std::sync::{Arc, Mutex, MutexGuard};

use warden_audit::{
    ActionOutcome, BrokerAction, BrokerActionEnded, BrokerActionStarted, EventFilter, Journal,
    Kind, NewEvent, Payload,
};

use crate::BrokerError;

/// Why an intent dropped without an outcome has none.
pub(crate) const STOPPED: &str =
    "the broker stopped handling it before it knew the outcome (an error ended the pass); the state in S3 and at AWS says what happened";

/// Why a start an earlier process left open is ended by this one.
pub(crate) const ORPHANED: &str =
    "no outcome was recorded for it: the broker process that started it stopped first; the state in S3 and at AWS says what happened";

/// A start without an outcome older than this is an earlier process's, not one in flight in
/// another process sharing the journal: no action takes this long (IAM Identity Center is
/// followed for at most 2 minutes, every other call for 20 s).
pub(crate) const ORPHAN_AFTER_MS: i64 = 10 * 60 * 1000;

type Backlog = Arc<Mutex<Vec<NewEvent>>>;

/// The broker's journal, and the outcomes it has yet to accept.
pub(crate) struct Recorder {
    journal: Arc<Journal>,
    backlog: Backlog,
    orphan: Mutex<Orphan>,
    orphan_after_ms: i64,
}

/// The last start the journal held when this process first looked, if it had no outcome then.
enum Orphan {
    Unchecked,
    Open {
        seq: u64,
        ts_ms: i64,
        workspace: String,
        started: BrokerActionStarted,
    },
    Settled,
}

/// Proof that the journal accepted a `broker_action_started`; the action's code takes it, and
/// [`Recorder::end`] consumes it.
#[must_use = "an action started must be ended with Recorder::end"]
pub(crate) struct Intent {
    id: String,
    action: BrokerAction,
    workspace: String,
    backlog: Backlog,
    open: bool,
}

impl Intent {
    fn ended(&self, outcome: ActionOutcome, reason: Option<String>) -> NewEvent {
        NewEvent::new(
            self.workspace.clone(),
            Payload::BrokerActionEnded(BrokerActionEnded {
                action_id: self.id.clone(),
                action: self.action,
                outcome,
                reason,
            }),
        )
    }
}

impl Drop for Intent {
    fn drop(&mut self) {
        if self.open {
            let ended = self.ended(ActionOutcome::Unknown, Some(STOPPED.into()));
            lock(&self.backlog).push(ended);
        }
    }
}

fn lock(backlog: &Backlog) -> MutexGuard<'_, Vec<NewEvent>> {
    backlog.lock().unwrap_or_else(|p| p.into_inner())
}

impl Recorder {
    pub fn new(journal: Arc<Journal>) -> Self {
        Self {
            journal,
            backlog: Arc::new(Mutex::new(Vec::new())),
            orphan: Mutex::new(Orphan::Unchecked),
            orphan_after_ms: ORPHAN_AFTER_MS,
        }
    }

    /// Appends the outcomes an earlier append could not, and ends a start an earlier process
    /// left open; an error while the journal still refuses (nothing may be done until it
    /// records again). Called before every pass.
    pub fn flush(&self) -> Result<(), BrokerError> {
        let orphan = self.orphan()?;
        self.append(orphan.into_iter().collect(), true)
    }

    /// The `unknown` outcome of the start an earlier process left open, once it is older than
    /// [`ORPHAN_AFTER_MS`] and still has none. Only the journal's last action event when this
    /// process first looks can be one: a process never starts an action while another of its
    /// own is open.
    fn orphan(&self) -> Result<Option<NewEvent>, BrokerError> {
        let mut orphan = self.orphan.lock().unwrap_or_else(|p| p.into_inner());
        if let Orphan::Unchecked = *orphan {
            let last = self.journal.events(&EventFilter {
                kinds: vec![Kind::BrokerActionStarted, Kind::BrokerActionEnded],
                newest_first: true,
                limit: Some(1),
                ..Default::default()
            })?;
            *orphan = match last.into_iter().next() {
                Some(e) => match e.payload {
                    Payload::BrokerActionStarted(started) => Orphan::Open {
                        seq: e.seq,
                        ts_ms: e.ts_ms,
                        workspace: e.workspace,
                        started,
                    },
                    _ => Orphan::Settled,
                },
                None => Orphan::Settled,
            };
        }
        let Orphan::Open {
            seq,
            ts_ms,
            workspace,
            started,
        } = &*orphan
        else {
            return Ok(None);
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(i64::MAX);
        if now_ms.saturating_sub(*ts_ms) < self.orphan_after_ms {
            return Ok(None);
        }
        let later = self.journal.events(&EventFilter {
            kinds: vec![Kind::BrokerActionEnded],
            after_seq: Some(*seq),
            ..Default::default()
        })?;
        let ended = later.iter().any(|e| {
            matches!(&e.payload, Payload::BrokerActionEnded(x) if x.action_id == started.action_id)
        });
        let event = (!ended).then(|| {
            NewEvent::new(
                workspace.clone(),
                Payload::BrokerActionEnded(BrokerActionEnded {
                    action_id: started.action_id.clone(),
                    action: started.action,
                    outcome: ActionOutcome::Unknown,
                    reason: Some(ORPHANED.into()),
                }),
            )
        });
        *orphan = Orphan::Settled;
        Ok(event)
    }

    /// How many outcomes wait for the journal.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        lock(&self.backlog).len()
    }

    /// The backlog and then `events`, in one transaction. On failure the backlog stays, and
    /// `events` join it when `keep` (outcomes: what happened must be recorded eventually).
    fn append(&self, events: Vec<NewEvent>, keep: bool) -> Result<(), BrokerError> {
        let mut backlog = lock(&self.backlog);
        if backlog.is_empty() && events.is_empty() {
            return Ok(());
        }
        let mut all = backlog.clone();
        all.extend(events.iter().cloned());
        match self.journal.append_all(all) {
            Ok(_) => {
                backlog.clear();
                Ok(())
            }
            Err(e) => {
                if keep {
                    backlog.extend(events);
                }
                Err(BrokerError::Journal(e))
            }
        }
    }

    /// Records that the broker is about to do `action` on `key` (for request `elevation_id`),
    /// and returns the intent the action takes. When the journal refuses, nothing is kept and
    /// the action must not happen.
    pub fn start(
        &self,
        workspace: &str,
        action: BrokerAction,
        elevation_id: Option<&str>,
        key: &str,
        detail: String,
    ) -> Result<Intent, BrokerError> {
        let id = uuid::Uuid::now_v7().to_string();
        let started = NewEvent::new(
            workspace,
            Payload::BrokerActionStarted(BrokerActionStarted {
                action_id: id.clone(),
                action,
                elevation_id: elevation_id.map(str::to_string),
                key: key.to_string(),
                detail,
            }),
        );
        self.append(vec![started], false)?;
        Ok(Intent {
            id,
            action,
            workspace: workspace.to_string(),
            backlog: self.backlog.clone(),
            open: true,
        })
    }

    /// Records how `intent` ended, then `events` (what it did, when done). When the journal
    /// refuses, they wait in memory for the next append and the error stops the pass.
    pub fn end(
        &self,
        mut intent: Intent,
        outcome: ActionOutcome,
        reason: Option<String>,
        events: Vec<Payload>,
    ) -> Result<(), BrokerError> {
        intent.open = false;
        let mut all = vec![intent.ended(outcome, reason)];
        all.extend(
            events
                .into_iter()
                .map(|p| NewEvent::new(intent.workspace.clone(), p)),
        );
        self.append(all, true)
    }
}

/// Why a write whose answer was lost is recorded `unknown` when the object was changed since.
pub(crate) const CHANGED_AFTER: &str =
    "changed by another writer after this broker's unanswered write: whether the write landed first is not known";

/// The outcome of a conditional write whose answer was lost (S3 failed or did not answer),
/// from what reading the object back shows: `found` (its content and ETag, `None`: absent)
/// against what the write expected (`before_etag`, `None`: a create of an absent object) and
/// what it wrote (`next`). Done when it holds `next`; not done only when it is still what the
/// write started from; otherwise another writer changed it after the write (which may have
/// landed first, its events then missing from every journal): unknown.
pub(crate) fn unanswered_write<T: PartialEq>(
    before_etag: Option<&str>,
    next: &T,
    found: Option<(&T, &str)>,
) -> ActionOutcome {
    match (found, before_etag) {
        (Some((found, _)), _) if found == next => ActionOutcome::Done,
        (None, None) => ActionOutcome::NotDone,
        (Some((_, etag)), Some(before)) if etag == before => ActionOutcome::NotDone,
        _ => ActionOutcome::Unknown,
    }
}

/// An error that ends `intent` with the given outcome, then is returned (a journal that
/// refuses the outcome wins: it is the error that stops the pass).
pub(crate) fn fail<T>(
    recorder: &Recorder,
    intent: Intent,
    outcome: ActionOutcome,
    error: BrokerError,
) -> Result<T, BrokerError> {
    recorder.end(intent, outcome, Some(error.to_string()), vec![])?;
    Err(error)
}

#[cfg(test)]
mod tests {
    use warden_audit::Actor;

    use super::*;

    fn journal(dir: &std::path::Path) -> Arc<Journal> {
        let actor = Actor {
            os_user: "warden-broker".into(),
            sso_identity: None,
        };
        Arc::new(Journal::open(dir.join("j.sqlite"), actor).unwrap())
    }

    fn refuse(journal: &Journal, on: bool) {
        let conn = rusqlite::Connection::open(journal.path()).unwrap();
        let sql = if on {
            "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
        } else {
            "DROP TRIGGER refuse;"
        };
        conn.execute_batch(sql).unwrap();
    }

    /// Starts the state write of request `id`, the action most of these tests record.
    fn write_state(r: &Recorder, id: &str) -> Result<Intent, BrokerError> {
        r.start("prod", BrokerAction::WriteState, Some(id), "k", "d".into())
    }

    fn story(journal: &Journal) -> Vec<(Kind, Option<ActionOutcome>)> {
        journal
            .events(&EventFilter::default())
            .unwrap()
            .into_iter()
            .map(|e| {
                let outcome = match &e.payload {
                    Payload::BrokerActionEnded(x) => Some(x.outcome),
                    _ => None,
                };
                (e.kind(), outcome)
            })
            .collect()
    }

    #[test]
    fn a_write_whose_answer_was_lost_is_judged_by_what_reading_back_shows() {
        let (before, next, other) = ("pending", "granted", "granted, set 1 claimed");
        // It holds what was written: done.
        assert_eq!(
            unanswered_write(Some("e1"), &next, Some((&next, "e2"))),
            ActionOutcome::Done
        );
        assert_eq!(
            unanswered_write(None, &next, Some((&next, "e1"))),
            ActionOutcome::Done
        );
        // Still what the write started from: it did not land.
        assert_eq!(
            unanswered_write(Some("e1"), &next, Some((&before, "e1"))),
            ActionOutcome::NotDone
        );
        assert_eq!(unanswered_write(None, &next, None), ActionOutcome::NotDone);
        // Another writer changed it after the write (which may have landed first and been
        // built on): not known.
        assert_eq!(
            unanswered_write(Some("e1"), &next, Some((&other, "e3"))),
            ActionOutcome::Unknown
        );
        assert_eq!(
            unanswered_write(None, &next, Some((&other, "e1"))),
            ActionOutcome::Unknown
        );
        // Even back to the same content under a new ETag: written twice since, unknown.
        assert_eq!(
            unanswered_write(Some("e1"), &next, Some((&before, "e4"))),
            ActionOutcome::Unknown
        );
        // Gone although it existed: unknown.
        assert_eq!(
            unanswered_write(Some("e1"), &next, None),
            ActionOutcome::Unknown
        );
    }

    #[test]
    fn a_journal_that_refuses_gives_no_intent() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal(dir.path());
        let r = Recorder::new(j.clone());
        refuse(&j, true);
        let started = write_state(&r, "r1");
        assert!(matches!(started, Err(BrokerError::Journal(_))));
        assert_eq!(r.waiting(), 0, "a refused start leaves nothing to record");
        refuse(&j, false);
        r.flush().unwrap();
        assert!(story(&j).is_empty());
    }

    #[test]
    fn a_refused_outcome_waits_and_comes_first_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal(dir.path());
        let r = Recorder::new(j.clone());
        let intent = write_state(&r, "r1").unwrap();
        refuse(&j, true);
        let granted = Payload::ElevationExpired(warden_audit::ElevationExpired {
            elevation_id: "r1".into(),
        });
        let ended = r.end(intent, ActionOutcome::Done, None, vec![granted]);
        assert!(matches!(ended, Err(BrokerError::Journal(_))));
        assert_eq!(r.waiting(), 2);
        // Still refusing: nothing new may start.
        assert!(write_state(&r, "r2").is_err());
        refuse(&j, false);
        let next = write_state(&r, "r2").unwrap();
        r.end(next, ActionOutcome::NotDone, Some("lost".into()), vec![])
            .unwrap();
        assert_eq!(
            story(&j),
            vec![
                (Kind::BrokerActionStarted, None),
                (Kind::BrokerActionEnded, Some(ActionOutcome::Done)),
                (Kind::ElevationExpired, None),
                (Kind::BrokerActionStarted, None),
                (Kind::BrokerActionEnded, Some(ActionOutcome::NotDone)),
            ]
        );
        assert_eq!(r.waiting(), 0);
    }

    #[test]
    fn a_start_an_earlier_process_left_open_is_ended_as_unknown_once_it_is_old() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal(dir.path());
        {
            let earlier = Recorder::new(j.clone());
            let intent = write_state(&earlier, "r1").unwrap();
            // The process stops: its intent's unknown outcome dies with it.
            std::mem::forget(intent);
        }
        // Within the grace it may be another process's action in flight: left alone.
        let next = Recorder::new(j.clone());
        next.flush().unwrap();
        assert_eq!(story(&j).len(), 1);
        // Once older than any action takes, it is ended, once.
        let mut next = Recorder::new(j.clone());
        next.orphan_after_ms = 0;
        next.flush().unwrap();
        next.flush().unwrap();
        let events = j.events(&EventFilter::default()).unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        let (Payload::BrokerActionStarted(s), Payload::BrokerActionEnded(e)) =
            (&events[0].payload, &events[1].payload)
        else {
            panic!("{events:?}")
        };
        assert_eq!(
            (s.action_id.as_str(), s.action),
            (e.action_id.as_str(), e.action)
        );
        assert_eq!(e.outcome, ActionOutcome::Unknown);
        assert_eq!(e.reason.as_deref(), Some(ORPHANED));
        // A journal whose last action has its outcome has nothing to end.
        let mut later = Recorder::new(j.clone());
        later.orphan_after_ms = 0;
        later.flush().unwrap();
        assert_eq!(j.events(&EventFilter::default()).unwrap().len(), 2);
    }

    #[test]
    fn an_intent_dropped_without_an_outcome_is_recorded_as_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal(dir.path());
        let r = Recorder::new(j.clone());
        let intent = r
            .start(
                "prod",
                BrokerAction::CreateAssignment,
                None,
                "k",
                "d".into(),
            )
            .unwrap();
        drop(intent);
        r.flush().unwrap();
        let events = j.events(&EventFilter::default()).unwrap();
        let (Payload::BrokerActionStarted(s), Payload::BrokerActionEnded(e)) =
            (&events[0].payload, &events[1].payload)
        else {
            panic!("{events:?}")
        };
        assert_eq!(s.action_id, e.action_id);
        assert_eq!(e.outcome, ActionOutcome::Unknown);
        assert_eq!(e.reason.as_deref(), Some(STOPPED));
    }
}
