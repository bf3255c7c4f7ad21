//! A token checked once and kept as a ready, sensitive header value.

use std::fmt;

use http::HeaderValue;

use crate::InvalidToken;

/// The value of an `Authorization: Bearer <token>` header, built once and
/// marked sensitive, so that `Debug` output and HTTP/2 header compression
/// leave it alone.
///
/// ```
/// use rxinfer_transport::{BearerToken, InvalidToken};
///
/// let token = BearerToken::new("3f1c0a52")?;
/// assert_eq!(format!("{token:?}"), "BearerToken(<redacted>)");
///
/// let error = BearerToken::new("abc\r\nX-Evil: 1").unwrap_err();
/// assert_eq!(error, InvalidToken::ControlCharacter { position: 3 });
/// assert!(!error.to_string().contains("abc"));
/// # Ok::<(), InvalidToken>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(HeaderValue);

impl BearerToken {
    /// Checks `token` and builds its header value.
    ///
    /// # Errors
    ///
    /// [`InvalidToken`] when the token is empty or holds anything other than
    /// visible ASCII: a control character, whitespace or a non-ASCII byte.
    /// The error says which and where, never what the token is.
    pub fn new(token: &str) -> Result<Self, InvalidToken> {
        check(token)?;
        let mut value = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| InvalidToken::ControlCharacter { position: 0 })?;
        value.set_sensitive(true);
        Ok(Self(value))
    }

    /// The full header value, `Bearer <token>`, marked sensitive.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The full header value, unwrapped.
    pub fn into_header_value(self) -> HeaderValue {
        self.0
    }

    /// The token itself, without `Bearer `: for a token store to save.
    /// Never log it; log its [`fingerprint`](Self::fingerprint).
    pub fn expose(&self) -> &str {
        // Built from `Bearer ` and checked visible ASCII, so both hold.
        let text = std::str::from_utf8(self.0.as_bytes()).unwrap_or_default();
        text.strip_prefix("Bearer ").unwrap_or_default()
    }

    /// A short, stable name for this token that does not reveal it: for
    /// logs and reports that must tell two tokens apart.
    ///
    /// ```
    /// use rxinfer_transport::BearerToken;
    ///
    /// let token = BearerToken::new("3f1c0a52-secret")?;
    /// let fingerprint = token.fingerprint().to_string();
    /// assert_eq!(fingerprint.len(), 8);
    /// assert!(!"3f1c0a52-secret".contains(&fingerprint));
    /// assert_eq!(fingerprint, BearerToken::new("3f1c0a52-secret")?.fingerprint().to_string());
    /// # Ok::<(), rxinfer_transport::InvalidToken>(())
    /// ```
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self.expose().as_bytes())
    }
}

/// A token's short name: 32 bits of a 64-bit FNV-1a hash, as 8 hex digits.
/// Stable across runs and versions, so logs of two runs can be compared.
/// For a random token (RxInferServer generates UUIDs) it tells nothing
/// useful about the token; a guessable one (`dev-token`) stays guessable.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(u32);

impl Fingerprint {
    fn of(bytes: &[u8]) -> Self {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let hash = bytes.iter().fold(OFFSET, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
        });
        Self((hash >> 32) as u32 ^ hash as u32)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

fn check(token: &str) -> Result<(), InvalidToken> {
    if token.is_empty() {
        return Err(InvalidToken::Empty);
    }
    for (position, byte) in token.bytes().enumerate() {
        match byte {
            b' ' | b'\t' => return Err(InvalidToken::Whitespace { position }),
            0..=0x1f | 0x7f => return Err(InvalidToken::ControlCharacter { position }),
            0x80..=0xff => return Err(InvalidToken::NonAscii { position }),
            _ => {}
        }
    }
    Ok(())
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_bearer_with_capital_b_and_one_space() -> Result<(), InvalidToken> {
        let token = BearerToken::new("dev-token:a,b")?;
        assert_eq!(token.header_value(), "Bearer dev-token:a,b");
        assert!(token.header_value().is_sensitive());
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_be_a_header_value() {
        assert_eq!(BearerToken::new(""), Err(InvalidToken::Empty));
        assert_eq!(
            BearerToken::new("ab\ncd"),
            Err(InvalidToken::ControlCharacter { position: 2 })
        );
        assert_eq!(
            BearerToken::new("\0"),
            Err(InvalidToken::ControlCharacter { position: 0 })
        );
        assert_eq!(
            BearerToken::new("a b"),
            Err(InvalidToken::Whitespace { position: 1 })
        );
        assert_eq!(
            BearerToken::new(" ab"),
            Err(InvalidToken::Whitespace { position: 0 })
        );
        assert_eq!(
            BearerToken::new("tökén"),
            Err(InvalidToken::NonAscii { position: 1 })
        );
    }

    #[test]
    fn errors_do_not_carry_the_token() {
        let error = BearerToken::new("topsecret\n").err();
        assert!(
            !format!(
                "{error:?} {}",
                error.as_ref().map(ToString::to_string).unwrap_or_default()
            )
            .contains("topsecret")
        );
    }

    #[test]
    fn accepts_uuids_and_dev_tokens() {
        for token in [
            "b7c0e2c4-3f36-4d0a-9d7e-1f0c6a1f2b3c",
            "dev-token",
            "dev-token:a,b",
            "a.b_c~d+e/f=",
        ] {
            assert!(BearerToken::new(token).is_ok(), "{token}");
        }
    }
}
