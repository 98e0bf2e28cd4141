//! Invitation rules shared by the dialog and the server: the address list, the roles an invite
//! may give, the resend limit, and what the invite page shows.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::fields::{DisplayName, EmailAddress};
use crate::ids::{InviteId, TailnetId};
use crate::roles::{MemberStatus, Role, may_grant};

/// At most this many addresses in one invite.
pub const MAX_ADDRESSES_PER_INVITE: usize = 100;

/// The "Email addresses" field is refused unparsed beyond this size: 100 of the longest
/// addresses with their separators.
pub const MAX_ADDRESS_LIST_BYTES: usize = MAX_ADDRESSES_PER_INVITE * (EmailAddress::MAX_LEN + 2);

/// Pieces (addresses, repeats and typos) looked at before a list is refused as too long.
pub const MAX_ADDRESS_PIECES: usize = 2 * MAX_ADDRESSES_PER_INVITE;

/// An invite can be resent once a minute.
pub const RESEND_INTERVAL_SECS: i64 = 60;

/// The one answer for every link that cannot be used, so links cannot be probed.
pub const INVALID_INVITE_MESSAGE: &str =
    "This invite is no longer valid. Ask the person who invited you for a new one.";

/// What the losers of a race for one invite are told.
pub const ALREADY_USED_MESSAGE: &str = "This invite has already been used.";

/// Where an invite leads once accepted: the welcome page, or the wait for approval.
pub fn welcome_path(tailnet: &TailnetId) -> String {
    format!("/welcome/{tailnet}")
}

/// The page after accepting: next steps, or the wait for an admin's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub tailnet_name: String,
    pub role: Role,
    pub status: crate::roles::MemberStatus,
    /// "Download the client" (`GATEHOUSE_CLIENT_DOWNLOAD_URL`).
    pub client_download_url: String,
    /// The tailnet's "Coordination server URL", when set: how to join the network.
    pub coordination_server_url: Option<String>,
    /// Into the tailnet: its Users page for admin roles, the person's tailnets otherwise.
    pub tailnet_path: String,
}

/// "Create account with passkey" as typed. For an email invite the email is the invite's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteSignUpForm {
    pub display_name: String,
    pub email: String,
}

impl InviteSignUpForm {
    /// The name and address of the new account. `invited` is the email invite's address,
    /// which wins over anything typed; a link invite takes the typed address.
    pub fn validate(&self, invited: Option<&str>) -> Result<(DisplayName, EmailAddress), AppError> {
        let mut errors = Vec::new();
        let display_name = DisplayName::parse(&self.display_name)
            .map_err(|message| errors.push(FieldError::new("display_name", message)));
        let email = EmailAddress::parse(invited.unwrap_or(&self.email))
            .map_err(|message| errors.push(FieldError::new("email", message)));
        match (display_name, email) {
            (Ok(display_name), Ok(email)) => Ok((display_name, email)),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// How an invite reaches its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteKind {
    /// Emailed to one address.
    Email,
    /// A link the inviter copies and passes on.
    Link,
}

impl InviteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteKind::Email => "email",
            InviteKind::Link => "link",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        [Self::Email, Self::Link]
            .into_iter()
            .find(|kind| kind.as_str() == stored)
    }
}

/// The roles an invite may give, in the order the "Role" drop-down lists them (Member first,
/// the default). Never Owner: ownership is transferred, not invited.
pub const INVITABLE_ROLES: [Role; 6] = [
    Role::Member,
    Role::Admin,
    Role::ItAdmin,
    Role::NetworkAdmin,
    Role::BillingAdmin,
    Role::Auditor,
];

pub fn check_invitable(role: Role) -> Result<Role, AppError> {
    if INVITABLE_ROLES.contains(&role) {
        Ok(role)
    } else {
        Err(AppError::validation(
            "role",
            "An invite cannot make someone an Owner. Invite them with another role, then transfer ownership.",
        ))
    }
}

/// Whether an invite still gives its role: the person who created it must still be an active
/// member of its tailnet who may give that role. A removed, suspended or demoted inviter's open
/// invites stop working (and the Users page marks them) without anyone deleting them.
pub fn inviter_still_grants(inviter: Option<(Role, MemberStatus)>, role: Role) -> bool {
    inviter.is_some_and(|(inviter_role, status)| {
        status == MemberStatus::Active && may_grant(inviter_role, role)
    })
}

/// Splits the "Email addresses" field on commas, semicolons, spaces and new lines, merges
/// duplicates (case-insensitively, keeping the first), and checks every address. Any invalid
/// address fails the whole batch, and the message names each of them.
pub fn parse_address_list(input: &str) -> Result<Vec<EmailAddress>, AppError> {
    let field = "addresses";
    let too_many = || {
        AppError::validation(
            field,
            format!("One invite can have at most {MAX_ADDRESSES_PER_INVITE} addresses."),
        )
    };
    // Bounded before any parsing, so one request cannot keep the server busy.
    if input.len() > MAX_ADDRESS_LIST_BYTES {
        return Err(too_many());
    }
    let mut addresses: Vec<EmailAddress> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut invalid: Vec<String> = Vec::new();
    let pieces = input
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|piece| !piece.is_empty());
    for (count, piece) in pieces.enumerate() {
        if count >= MAX_ADDRESS_PIECES {
            return Err(too_many());
        }
        match EmailAddress::parse(piece) {
            Ok(address) if !seen.insert(address.clone()) => {}
            Ok(address) => addresses.push(address),
            Err(_) => invalid.push(piece.to_owned()),
        }
    }
    if !invalid.is_empty() {
        let (noun, verb) = if invalid.len() == 1 {
            ("address", "is")
        } else {
            ("addresses", "are")
        };
        return Err(AppError::Validation(vec![FieldError::new(
            field,
            format!(
                "These {noun} {verb} not valid: {}. Nobody was invited.",
                invalid.join(", ")
            ),
        )]));
    }
    if addresses.is_empty() {
        return Err(AppError::validation(
            field,
            "Enter at least one email address.",
        ));
    }
    if addresses.len() > MAX_ADDRESSES_PER_INVITE {
        return Err(AppError::validation(
            field,
            format!(
                "One invite can have at most {MAX_ADDRESSES_PER_INVITE} addresses; this one has {}.",
                addresses.len()
            ),
        ));
    }
    Ok(addresses)
}

/// Seconds to wait before an invite last sent at `last_sent_at` may be resent at `now`.
pub fn resend_wait(last_sent_at: Option<i64>, now: i64) -> Option<u64> {
    let last = last_sent_at?;
    let ready_at = last.saturating_add(RESEND_INTERVAL_SECS);
    (now < ready_at).then(|| u64::try_from(ready_at - now).unwrap_or(1))
}

/// "Invite by email": one role for all addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailInvite {
    pub tailnet: TailnetId,
    /// As typed in "Email addresses".
    pub addresses: String,
    pub role: Role,
}

/// What "Invite" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitesSent {
    pub invited: Vec<String>,
    /// False when the server has no SMTP: the invites exist, but only their links reach people.
    pub email_delivery_configured: bool,
}

/// A working invite link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteLink {
    pub invite: InviteId,
    pub url: String,
}

/// A code emailed to a typed address works for this long.
pub const EMAIL_CODE_TTL_SECS: i64 = 15 * 60;

/// Wrong answers a code takes before it stops working.
pub const EMAIL_CODE_ATTEMPTS: i64 = 5;

/// The one answer for a code that is wrong, used up, expired or was never sent: it does not
/// say whether the address has an account.
pub const WRONG_CODE_MESSAGE: &str = "That code is not right, or it has expired. Check the newest email from Gatehouse, or send a new code.";

/// "Email me a code": where the code went, and which code the page then answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailCodeSent {
    pub code_id: String,
    pub email: String,
}

/// The code as typed, with the id of the code it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailCodeAnswer {
    pub code_id: String,
    pub code: String,
}

/// What the invite page shows about a usable invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub tailnet_name: String,
    pub inviter_name: Option<String>,
    pub role: Role,
    pub email: Option<String>,
    pub expires_at: i64,
    /// A link invite on a server that sends email: a new account's typed address is verified
    /// with a code first ("Email me a code").
    #[serde(default)]
    pub email_code_required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_on_commas_spaces_and_lines_and_merge_duplicates() {
        let parsed =
            parse_address_list("a@example.com, b@example.com\nA@Example.com;c@example.com  ")
                .expect("valid list");
        let parsed: Vec<&str> = parsed.iter().map(EmailAddress::as_str).collect();
        assert_eq!(parsed, ["a@example.com", "b@example.com", "c@example.com"]);
    }

    #[test]
    fn every_invalid_address_is_named() {
        let error = parse_address_list("a@example.com nope also@bad").expect_err("invalid");
        let message = error.field_message("addresses").expect("field error");
        assert!(message.contains("nope"), "{message}");
        assert!(message.contains("also@bad"), "{message}");
        assert!(!message.contains("a@example.com"), "{message}");
    }

    #[test]
    fn empty_and_oversized_batches_are_refused() {
        assert!(parse_address_list(" ,\n ").is_err());
        let hundred: Vec<String> = (0..100).map(|i| format!("p{i}@example.com")).collect();
        assert_eq!(
            parse_address_list(&hundred.join(",")).map(|v| v.len()),
            Ok(100)
        );
        let too_many = format!("{},extra@example.com", hundred.join(","));
        let error = parse_address_list(&too_many).expect_err("101 addresses");
        assert!(error.to_string().contains("at most 100"), "{error}");
    }

    #[test]
    fn huge_lists_are_refused_before_parsing() {
        let many: Vec<String> = (0..201).map(|i| format!("p{i}@example.com")).collect();
        let error = parse_address_list(&many.join(" ")).expect_err("201 pieces");
        assert!(error.to_string().contains("at most 100"), "{error}");
        let long = "a,".repeat(MAX_ADDRESS_LIST_BYTES);
        let error = parse_address_list(&long).expect_err("too many bytes");
        assert!(error.to_string().contains("at most 100"), "{error}");
        // Repeats of one address count once, within the pieces allowed.
        let repeated = vec!["same@example.com"; 150].join(",");
        assert_eq!(parse_address_list(&repeated).map(|v| v.len()), Ok(1));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// Whatever is typed, the list is refused or holds 1 to 100 distinct addresses,
            /// each a fixed point of the address parser.
            #[test]
            fn address_lists_parse_to_distinct_valid_addresses(
                input in "([a-c]{1,3}@[a-c]{1,3}\\.(io|com)[ ,;\n]{1,2}){0,120}|\\PC{0,300}"
            ) {
                if let Ok(addresses) = parse_address_list(&input) {
                    prop_assert!((1..=MAX_ADDRESSES_PER_INVITE).contains(&addresses.len()));
                    let distinct: std::collections::HashSet<_> = addresses.iter().collect();
                    prop_assert_eq!(distinct.len(), addresses.len());
                    for address in &addresses {
                        prop_assert_eq!(EmailAddress::parse(address.as_str()), Ok(address.clone()));
                    }
                }
            }
        }
    }

    #[test]
    fn owner_cannot_be_invited() {
        assert!(check_invitable(Role::Owner).is_err());
        for role in INVITABLE_ROLES {
            assert_eq!(check_invitable(role), Ok(role));
        }
    }

    #[test]
    fn an_invite_works_only_while_its_inviter_may_give_its_role() {
        let active = MemberStatus::Active;
        assert!(inviter_still_grants(
            Some((Role::Admin, active)),
            Role::Admin
        ));
        assert!(inviter_still_grants(
            Some((Role::ItAdmin, active)),
            Role::Member
        ));
        // Demoted, suspended, waiting, or gone.
        assert!(!inviter_still_grants(
            Some((Role::ItAdmin, active)),
            Role::Admin
        ));
        assert!(!inviter_still_grants(
            Some((Role::Member, active)),
            Role::Member
        ));
        assert!(!inviter_still_grants(
            Some((Role::Admin, MemberStatus::Suspended)),
            Role::Member
        ));
        assert!(!inviter_still_grants(
            Some((Role::Admin, MemberStatus::NeedsApproval)),
            Role::Member
        ));
        assert!(!inviter_still_grants(None, Role::Member));
    }

    #[test]
    fn resend_waits_a_minute() {
        assert_eq!(resend_wait(None, 1_000), None);
        assert_eq!(resend_wait(Some(1_000), 1_000), Some(60));
        assert_eq!(resend_wait(Some(1_000), 1_059), Some(1));
        assert_eq!(resend_wait(Some(1_000), 1_060), None);
    }
}
