//! Who a requester or approver is, as opposed to the session they signed in with.
//!
//! On AWS both are `aws:userid` values, `ROLEID:session-name`, and the role id part changes
//! with the permission set a person signs in with (an analyst's and an approver's set give the
//! same person two ids). Rules about people ("nobody decides their own request") must compare
//! the person, the session name that IAM Identity Center sets to the user name, which the
//! broker's approver check looks up in the identity store too. On the demo the names are the
//! OS user names and have no role part.

/// The person part of `id`: the session name of an `aws:userid`, or the whole name.
pub fn person(id: &str) -> &str {
    id.rsplit(':').next().unwrap_or(id)
}

/// Whether `a` and `b` name the same person. Case is ignored (user names of the identity
/// store are), which errs towards "the same": two ids that might be one person are treated
/// as one, so a rule against deciding one's own request cannot be slipped by case.
pub fn same_person(a: &str, b: &str) -> bool {
    person(a).eq_ignore_ascii_case(person(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_permission_sets_of_one_user_are_one_person() {
        assert!(same_person(
            "AROAANALYST0000000001:ana@example.com",
            "AROAAPPROVER000000001:ana@example.com"
        ));
        assert!(same_person(
            "AROAANALYST0000000001:Ana@Example.com",
            "ana@example.com"
        ));
        assert_eq!(
            person("AROAANALYST0000000001:ana@example.com"),
            "ana@example.com"
        );
    }

    #[test]
    fn different_users_and_demo_names_stay_apart() {
        assert!(!same_person(
            "AROAANALYST0000000001:ana@example.com",
            "AROAANALYST0000000001:sam@example.com"
        ));
        assert!(same_person("ana", "ana"));
        assert!(!same_person("ana", "sam"));
        assert_eq!(person("ana"), "ana");
    }
}
