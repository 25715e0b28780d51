//! Secrets: access tokens, device and session ids from the OS random generator, token hashing for
//! storage, and argon2id password hashing.
//!
//! Every random value comes from the operating system's generator (`getrandom`), never from a
//! seeded or thread-local PRNG. Letters are drawn by rejection sampling, so every letter of an
//! alphabet is equally likely. Nothing in this module logs, and no error message carries a
//! password, a token or a hash.

use argon2::password_hash::{Error as HashError, PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use std::fmt::Write as _;

/// The prefix of every access token this server hands out (`mhs_` for "Matrix homeserver"), so a
/// leaked token is recognisable by secret scanners.
pub const ACCESS_TOKEN_PREFIX: &str = "mhs_";
/// Random bytes in an access token (encoded as 43 base64url characters after the prefix).
pub const ACCESS_TOKEN_BYTES: usize = 32;
/// Length of a device id: upper-case letters, like Synapse's `CQITXWIPSD`.
pub const DEVICE_ID_LEN: usize = 10;
/// Length of a user-interactive authentication session id, in letters (`A-Z`, `a-z`).
pub const SESSION_ID_LEN: usize = 24;

/// `A-Z`.
pub(crate) const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// `a-z`.
pub(crate) const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
/// `A-Z` then `a-z`.
const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a secret could not be made or checked. The messages never contain the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Rng(#[from] getrandom::Error),
    /// The argon2 cost parameters are out of range.
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    /// Hashing a password failed inside argon2.
    #[error("password hashing failed: {0}")]
    Hashing(HashError),
    /// A stored password hash is not a PHC string argon2 can read.
    #[error("the stored password hash is malformed or uses an unsupported algorithm")]
    MalformedHash,
}

/// Fills `buf` from the operating system's random generator.
fn fill_random(buf: &mut [u8]) -> Result<(), SecretError> {
    getrandom::fill(buf)?;
    Ok(())
}

/// A string of `len` characters drawn uniformly from `alphabet` (ASCII, 1 to 256 characters).
///
/// Uses rejection sampling: bytes at or above the largest multiple of the alphabet size are
/// thrown away, so there is no modulo bias.
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> Result<String, SecretError> {
    let size = alphabet.len().clamp(1, 256);
    let limit = 256 - 256 % size; // bytes below `limit` map uniformly onto the alphabet
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        fill_random(&mut buf)?;
        for &byte in buf.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == len {
                break;
            }
            if let Some(&c) = alphabet.get(usize::from(byte) % size) {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

/// A new access token: `mhs_` followed by 32 random bytes in unpadded base64url (47 characters).
///
/// The caller gives it to the client once; only [`hash_token`] of it is ever stored.
pub fn generate_access_token() -> Result<String, SecretError> {
    let mut bytes = [0u8; ACCESS_TOKEN_BYTES];
    fill_random(&mut bytes)?;
    Ok(format!("{ACCESS_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A new device id: 10 random upper-case letters (`A-Z`), like Synapse's.
pub fn generate_device_id() -> Result<String, SecretError> {
    random_string(UPPER, DEVICE_ID_LEN)
}

/// A new user-interactive authentication session id: 24 random letters (`A-Z`, `a-z`).
pub fn generate_session_id() -> Result<String, SecretError> {
    random_string(LETTERS, SESSION_ID_LEN)
}

/// The form in which a token is stored and looked up: its SHA-256 digest in lower-case hex.
///
/// A plain digest (no salt, no slow hash) is enough because tokens carry 256 random bits; it lets
/// the store find a token by an indexed equality lookup, and a stolen database yields no usable
/// token. Looking up by digest also means an attacker cannot steer a timing difference towards
/// a real token, since they do not control the digest's bytes.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest.iter() {
        // Writing to a `String` cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Compares two byte slices in time that depends only on their lengths, never on where they
/// differ: every byte of the longer slice is visited and there is no early exit.
///
/// Lengths are not secret (a token's length is public), so slices of different lengths are
/// simply unequal.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// Argon2id password hashing with configurable cost.
///
/// [`PasswordHasher::default`] uses the argon2 crate's defaults, which are OWASP's recommended
/// argon2id setting: 19 MiB of memory (`m_cost` = 19456 KiB), 2 passes (`t_cost`), 1 lane
/// (`p_cost`), about 15-30 ms per hash on a current core. [`PasswordHasher::insecure_fast`] is the
/// cheapest setting argon2 allows, for tests and load tests only.
///
/// Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) carrying their own
/// parameters and a 16-byte random salt, so verification works whatever the hasher's current
/// cost, and raising the cost later does not invalidate stored hashes.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self {
            params: Params::DEFAULT,
        }
    }
}

impl PasswordHasher {
    /// A hasher with the given argon2id costs: `m_cost` in KiB of memory (at least 8 per lane),
    /// `t_cost` passes (at least 1), `p_cost` lanes (at least 1).
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, SecretError> {
        let params = Params::new(m_cost, t_cost, p_cost, None).map_err(SecretError::Params)?;
        Ok(Self { params })
    }

    /// The cheapest parameters argon2 accepts (8 KiB, 1 pass, 1 lane). Never use in production:
    /// it exists so tests and load tests are not dominated by password hashing.
    pub fn insecure_fast() -> Self {
        Self {
            params: Params::new(Params::MIN_M_COST, Params::MIN_T_COST, Params::MIN_P_COST, None)
                .unwrap_or(Params::DEFAULT),
        }
    }

    /// The argon2 parameters in use.
    pub fn params(&self) -> &Params {
        &self.params
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes `password` with a fresh random salt, returning a PHC string to store.
    pub fn hash(&self, password: &str) -> Result<String, SecretError> {
        let hash = self
            .argon2()
            .hash_password(password.as_bytes())
            .map_err(SecretError::Hashing)?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches the stored PHC string `hash`: `Ok(false)` for a wrong password,
    /// an error only when the stored hash cannot be read.
    ///
    /// The parameters stored in `hash` are used, not this hasher's. The final comparison of the
    /// computed and stored outputs is constant-time (argon2's `Output` equality).
    pub fn verify(&self, password: &str, hash: &str) -> Result<bool, SecretError> {
        match self.argon2().verify_password(password.as_bytes(), hash) {
            Ok(()) => Ok(true),
            Err(HashError::PasswordInvalid) => Ok(false),
            Err(_) => Err(SecretError::MalformedHash),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const DRAWS: usize = 1_000;

    fn draw(f: fn() -> Result<String, SecretError>) -> Vec<String> {
        (0..DRAWS).map(|_| f().unwrap()).collect()
    }

    fn all_distinct(values: &[String]) -> bool {
        values.iter().collect::<HashSet<_>>().len() == values.len()
    }

    #[test]
    fn access_tokens_have_the_documented_format_and_are_unique() {
        let tokens = draw(generate_access_token);
        for token in &tokens {
            let body = token.strip_prefix("mhs_").unwrap();
            assert_eq!(body.len(), 43, "{token}");
            assert!(
                body.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), ACCESS_TOKEN_BYTES);
        }
        assert!(all_distinct(&tokens));
    }

    #[test]
    fn device_ids_are_ten_upper_case_letters_and_unique() {
        let ids = draw(generate_device_id);
        for id in &ids {
            assert_eq!(id.len(), DEVICE_ID_LEN);
            assert!(id.bytes().all(|b| b.is_ascii_uppercase()), "{id}");
        }
        assert!(all_distinct(&ids));
    }

    #[test]
    fn session_ids_are_twenty_four_letters_and_unique() {
        let ids = draw(generate_session_id);
        for id in &ids {
            assert_eq!(id.len(), SESSION_ID_LEN);
            assert!(id.bytes().all(|b| b.is_ascii_alphabetic()), "{id}");
        }
        assert!(all_distinct(&ids));
    }

    #[test]
    fn random_string_uses_every_letter_of_the_alphabet() {
        let s = random_string(UPPER, 10_000).unwrap();
        let seen: HashSet<u8> = s.bytes().collect();
        assert_eq!(seen.len(), 26);
    }

    #[test]
    fn token_hash_is_sha256_hex_and_not_the_token() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = generate_access_token().unwrap();
        let hashed = hash_token(&token);
        assert_eq!(hashed.len(), 64);
        assert_ne!(hashed, token);
        assert_eq!(hashed, hash_token(&token));
    }

    #[test]
    fn constant_time_eq_compares_whole_slices() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"Secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(!constant_time_eq(b"secret", b""));
        assert!(!constant_time_eq(b"\0", b""));
    }

    #[test]
    fn hash_and_verify_with_right_and_wrong_password() {
        let hasher = PasswordHasher::insecure_fast();
        let hash = hasher.hash("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(hasher.verify("correct horse battery staple", &hash).unwrap());
        assert!(!hasher.verify("correct horse battery stapler", &hash).unwrap());
        assert!(!hasher.verify("", &hash).unwrap());
        // Salted: the same password never hashes the same twice.
        assert_ne!(hash, hasher.hash("correct horse battery staple").unwrap());
    }

    #[test]
    fn verify_uses_the_parameters_stored_in_the_hash() {
        let cheap = PasswordHasher::new(64, 1, 1).unwrap();
        let hash = cheap.hash("hunter2").unwrap();
        assert!(PasswordHasher::default().verify("hunter2", &hash).unwrap());
        assert!(!PasswordHasher::insecure_fast().verify("hunter3", &hash).unwrap());
    }

    #[test]
    fn default_hasher_uses_owasp_parameters() {
        let hasher = PasswordHasher::default();
        let p = hasher.params();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
        let hash = hasher.hash("pw").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify("pw", &hash).unwrap());
    }

    #[test]
    fn malformed_hash_is_an_error_not_a_match() {
        let hasher = PasswordHasher::insecure_fast();
        assert!(matches!(
            hasher.verify("pw", "not a hash"),
            Err(SecretError::MalformedHash)
        ));
        assert!(matches!(hasher.verify("pw", ""), Err(SecretError::MalformedHash)));
    }

    #[test]
    fn invalid_params_are_rejected() {
        assert!(matches!(PasswordHasher::new(0, 1, 1), Err(SecretError::Params(_))));
        assert!(matches!(PasswordHasher::new(64, 0, 1), Err(SecretError::Params(_))));
        assert!(matches!(PasswordHasher::new(64, 1, 0), Err(SecretError::Params(_))));
    }
}
