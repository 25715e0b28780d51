//! Usernames: validation of a requested localpart against the Matrix user-id grammar, and
//! generation of localparts for registrations without a username and for guests.
//!
//! The grammar accepted is the one of the Matrix spec's user identifiers for new accounts: a
//! non-empty localpart of `a-z`, `0-9`, `=`, `_`, `-`, `.` and `/`, and a full user id
//! `@localpart:server_name` of at most 255 bytes. (Spec v1.8 also allows `+`; this server does
//! not hand it out.)
//!
//! Generated localparts are random, not counters, so they reveal nothing about how many accounts
//! exist and need no database round trip:
//! - a user who registers without a username gets 12 characters from `a-z0-9`, the first a
//!   letter (about 60 bits);
//! - a guest gets 12 random digits. As in Synapse, purely numeric localparts are reserved for
//!   guests: [`validate_username`] rejects them, so a requested name never collides with a guest.
//!
//! A generated localpart can still, very rarely, be taken already; the store then answers
//! `UserInUse` and the caller draws another one.

use crate::secrets::{LOWER, SecretError, random_string};

/// The longest full user id (`@localpart:server_name`), in bytes.
pub const MAX_USER_ID_LEN: usize = 255;
/// Length of a generated localpart, for users and guests alike.
pub const GENERATED_LOCALPART_LEN: usize = 12;

const DIGITS: &[u8] = b"0123456789";
const LOWER_AND_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Why a username is not acceptable. The `Display` text is meant for the client, as the `error`
/// of an `M_INVALID_USERNAME` response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsernameError {
    /// The username is empty.
    #[error("the username must not be empty")]
    Empty,
    /// The username has an upper-case letter; Matrix user ids are lower case.
    #[error("the username must be lower case, but contains {character:?}")]
    UpperCase {
        /// The first upper-case letter found.
        character: char,
    },
    /// The username has a character outside the allowed set.
    #[error("the username contains {character:?}; only a-z, 0-9, '=', '_', '-', '.' and '/' are allowed")]
    InvalidCharacter {
        /// The first character found that is not allowed.
        character: char,
    },
    /// The full user id would be longer than 255 bytes.
    #[error("the user id would be {length} bytes long; the limit is {MAX_USER_ID_LEN}")]
    TooLong {
        /// The length in bytes of `@localpart:server_name`.
        length: usize,
    },
    /// The username is all digits; those are reserved for guest accounts.
    #[error("numeric usernames are reserved for guest accounts")]
    Numeric,
}

/// Whether `b` may appear in a localpart.
fn is_localpart_byte(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'=' | b'_' | b'-' | b'.' | b'/')
}

/// The full user id `@localpart:server_name`.
pub fn user_id(localpart: &str, server_name: &str) -> String {
    format!("@{localpart}:{server_name}")
}

/// Checks `localpart` against the user-id grammar: non-empty, allowed characters only, and the
/// full user id on `server_name` at most 255 bytes.
///
/// This is the check every stored localpart passes, guests' included; use
/// [`validate_username`] for a username a client asked for.
pub fn validate_localpart(localpart: &str, server_name: &str) -> Result<(), UsernameError> {
    if localpart.is_empty() {
        return Err(UsernameError::Empty);
    }
    if let Some(character) = localpart.chars().find(char::is_ascii_uppercase) {
        return Err(UsernameError::UpperCase { character });
    }
    if let Some(character) = localpart
        .chars()
        .find(|&c| !u8::try_from(c).is_ok_and(is_localpart_byte))
    {
        return Err(UsernameError::InvalidCharacter { character });
    }
    // "@" + localpart + ":" + server_name
    let length = localpart.len() + server_name.len() + 2;
    if length > MAX_USER_ID_LEN {
        return Err(UsernameError::TooLong { length });
    }
    Ok(())
}

/// Checks a username requested by a client: the grammar of [`validate_localpart`], and not
/// purely numeric (numeric localparts are reserved for guests).
pub fn validate_username(username: &str, server_name: &str) -> Result<(), UsernameError> {
    validate_localpart(username, server_name)?;
    if username.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UsernameError::Numeric);
    }
    Ok(())
}

/// A random localpart for a user who registered without a username: a letter followed by 11
/// characters of `a-z0-9`, drawn from the OS random generator. Never numeric, so it passes
/// [`validate_username`].
pub fn generate_localpart() -> Result<String, SecretError> {
    let mut localpart = random_string(LOWER, 1)?;
    localpart.push_str(&random_string(LOWER_AND_DIGITS, GENERATED_LOCALPART_LEN - 1)?);
    Ok(localpart)
}

/// A random localpart for a guest: 12 digits from the OS random generator (a numeric localpart,
/// which only guests can have).
pub fn generate_guest_localpart() -> Result<String, SecretError> {
    random_string(DIGITS, GENERATED_LOCALPART_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SERVER: &str = "example.org";

    #[test]
    fn grammar_table() {
        let long_ok = "a".repeat(MAX_USER_ID_LEN - SERVER.len() - 2);
        let long_bad = "a".repeat(MAX_USER_ID_LEN - SERVER.len() - 1);
        assert_eq!(user_id(&long_bad, SERVER).len(), 256);
        let cases: &[(&str, Result<(), UsernameError>)] = &[
            ("alice", Ok(())),
            ("a.b_c=d-e/f", Ok(())),
            ("0xdeadbeef", Ok(())),
            ("_", Ok(())),
            (&long_ok, Ok(())),
            ("", Err(UsernameError::Empty)),
            ("Bad Name!", Err(UsernameError::UpperCase { character: 'B' })),
            ("bad name!", Err(UsernameError::InvalidCharacter { character: ' ' })),
            ("Alice", Err(UsernameError::UpperCase { character: 'A' })),
            ("alICE", Err(UsernameError::UpperCase { character: 'I' })),
            (
                "alice:example.org",
                Err(UsernameError::InvalidCharacter { character: ':' }),
            ),
            ("@alice", Err(UsernameError::InvalidCharacter { character: '@' })),
            ("alice+tag", Err(UsernameError::InvalidCharacter { character: '+' })),
            ("alïce", Err(UsernameError::InvalidCharacter { character: 'ï' })),
            ("Ålice", Err(UsernameError::InvalidCharacter { character: 'Å' })),
            ("tab\there", Err(UsernameError::InvalidCharacter { character: '\t' })),
            (&long_bad, Err(UsernameError::TooLong { length: 256 })),
            ("12345", Err(UsernameError::Numeric)),
        ];
        for (name, expected) in cases {
            assert_eq!(&validate_username(name, SERVER), expected, "{name:?}");
        }
    }

    #[test]
    fn numeric_localparts_are_valid_but_not_requestable() {
        assert_eq!(validate_localpart("12345", SERVER), Ok(()));
        assert_eq!(validate_username("12345", SERVER), Err(UsernameError::Numeric));
    }

    #[test]
    fn errors_explain_themselves() {
        let msg = validate_username("Bad Name!", SERVER).unwrap_err().to_string();
        assert!(msg.contains("lower case") && msg.contains("'B'"), "{msg}");
        let msg = validate_username("bad name", SERVER).unwrap_err().to_string();
        assert!(msg.contains("' '") && msg.contains("a-z, 0-9"), "{msg}");
        let msg = validate_username(&"a".repeat(300), SERVER).unwrap_err().to_string();
        assert!(msg.contains("313 bytes") && msg.contains("255"), "{msg}");
    }

    #[test]
    fn generated_localparts_are_valid_usernames_and_unique() {
        let names: Vec<String> = (0..1_000).map(|_| generate_localpart().unwrap()).collect();
        for name in &names {
            assert_eq!(name.len(), GENERATED_LOCALPART_LEN);
            assert!(name.starts_with(|c: char| c.is_ascii_lowercase()), "{name}");
            assert_eq!(validate_username(name, SERVER), Ok(()), "{name}");
        }
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
    }

    #[test]
    fn guest_localparts_are_numeric_valid_and_unique() {
        let names: Vec<String> = (0..1_000).map(|_| generate_guest_localpart().unwrap()).collect();
        for name in &names {
            assert_eq!(name.len(), GENERATED_LOCALPART_LEN);
            assert!(name.bytes().all(|b| b.is_ascii_digit()), "{name}");
            assert_eq!(validate_localpart(name, SERVER), Ok(()));
        }
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
    }
}
