//! The workgroup picker of an Athena workspace: which workgroups a baseline run may use, and
//! switching to one. Elevated runs are not concerned: each grant's engine keeps the workgroup
//! the policy names for it (see `elevated.rs`).
//!
//! Fail closed: a workgroup is offered, and can be picked, only when Athena lists it enabled
//! for the caller now, the workspace allows it (`[athena] workgroups`, when set), and it is not
//! an elevation's own workgroup (those are for grants: a baseline run there would take the
//! grant's scan cutoff without the grant).

use warden_engine::Workgroup;

use super::Gate;

/// What the workspace says about workgroups: its default, and the ones it allows.
#[derive(Debug, Clone)]
pub(crate) struct WorkgroupRules {
    pub default: String,
    /// `None`: any workgroup Athena lists for the caller.
    pub allowed: Option<Vec<String>>,
}

/// The workgroups offered, and the one runs go to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkgroupChoice {
    pub workgroups: Vec<Workgroup>,
    /// Where baseline runs go now.
    pub current: String,
    /// The workspace's configured workgroup.
    pub default: String,
    /// Why the workgroup picked in an earlier session is not used now, if it is not.
    pub note: Option<String>,
}

impl Gate {
    /// Makes the gate offer workgroups (Athena workspaces).
    pub(crate) fn offer_workgroups(&mut self, rules: WorkgroupRules) {
        self.workgroup_rules = Some(rules);
    }

    /// Whether this workspace has workgroups to pick (Athena).
    pub fn offers_workgroups(&self) -> bool {
        self.workgroup_rules.is_some()
    }

    pub(super) fn workgroup_rules(&self) -> Result<&WorkgroupRules, String> {
        self.workgroup_rules.as_ref().ok_or_else(|| {
            format!(
                "the {} workspace does not run on Athena, so it has no workgroups to pick",
                self.workspace
            )
        })
    }

    /// The workgroups of the policy's elevations (grants run there, baseline runs do not).
    fn elevation_workgroups(&self) -> Vec<(String, String)> {
        let Ok(in_force) = self.policy() else {
            return Vec::new();
        };
        let policy = in_force.policy();
        policy
            .elevations()
            .iter()
            .filter_map(|(name, e)| {
                let w = e.aws.as_ref()?.workgroup.clone()?;
                Some((w, name.clone()))
            })
            .collect()
    }

    /// Why a baseline run may not use `name`, or `None` when the rules allow it (Athena must
    /// still list it).
    pub(super) fn workgroup_refusal(&self, rules: &WorkgroupRules, name: &str) -> Option<String> {
        if name == rules.default {
            return None;
        }
        if let Some(allowed) = &rules.allowed {
            if !allowed.iter().any(|a| a == name) {
                return Some(format!(
                    "workgroup {name} is not one the {} workspace allows (its [athena] workgroups)",
                    self.workspace
                ));
            }
        }
        if let Some((_, elevation)) = self
            .elevation_workgroups()
            .into_iter()
            .find(|(w, _)| w == name)
        {
            return Some(format!(
                "workgroup {name} is the {elevation} elevation's: only runs under that grant use it"
            ));
        }
        None
    }

    /// The workgroups a baseline run may use now, read from Athena.
    pub async fn workgroups(&self) -> Result<WorkgroupChoice, String> {
        let rules = self.workgroup_rules()?;
        let listed = self
            .engine
            .workgroups()
            .await
            .map_err(|e| format!("the workgroups could not be listed: {e}"))?;
        let workgroups = listed
            .into_iter()
            .filter(|w| self.workgroup_refusal(rules, &w.name).is_none())
            .collect();
        Ok(WorkgroupChoice {
            workgroups,
            current: self
                .engine
                .workgroup()
                .unwrap_or_else(|| rules.default.clone()),
            default: rules.default.clone(),
            note: self
                .workgroup_note
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        })
    }

    /// Sends baseline runs started from now on to workgroup `name`; refused, saying why and
    /// what may be picked, unless it is offered now.
    pub async fn choose_workgroup(&self, name: &str) -> Result<WorkgroupChoice, String> {
        let rules = self.workgroup_rules()?;
        let choice = self.workgroups().await?;
        let offered = || {
            choice
                .workgroups
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !choice.workgroups.iter().any(|w| w.name == name) {
            let why = self.workgroup_refusal(rules, name).unwrap_or_else(|| {
                format!("Athena lists no enabled workgroup {name} that you may use")
            });
            return Err(format!("not switched: {why}; pick one of: {}", offered()));
        }
        self.engine
            .use_workgroup(name)
            .map_err(|e| format!("not switched: {e}"))?;
        tracing::info!(workgroup = name, "baseline runs now go to this workgroup");
        self.note_workgroup(name);
        *self
            .workgroup_note
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        Ok(WorkgroupChoice {
            current: name.to_string(),
            note: None,
            ..choice
        })
    }
}
