//! Secrets the server must read back (a webhook's signing secret) are kept sealed:
//! ChaCha20-Poly1305 under a key derived from the token key given to the server, so a copy
//! of the database without that key (`PLEDGE_TOKEN_KEY`, kept apart from backups) cannot forge
//! pushes. Without a given key they are kept in clear (a key in the same database would not
//! protect a copy of it), and the server says so at start.

use crate::error::{Result, StoreError};
use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;

/// What a sealed value starts with; a value without it was stored before sealing began.
const SEALED: &str = "sealed:v1:";

/// The sealing key for `purpose`, derived from the token key.
fn key(token_key: &[u8], purpose: &str) -> Result<LessSafeKey> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(token_key).map_err(StoreError::corrupt)?;
    mac.update(b"pledge sealed secret v1: ");
    mac.update(purpose.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
        .map_err(|_| StoreError::corrupt("sealing key"))?;
    Ok(LessSafeKey::new(key))
}

/// `plain` sealed for `purpose`, as text to store.
pub(crate) fn seal(token_key: &[u8], purpose: &str, plain: &str) -> Result<String> {
    let key = key(token_key, purpose)?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| StoreError::corrupt(format!("random: {e}")))?;
    let mut sealed = plain.as_bytes().to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(purpose.as_bytes()),
        &mut sealed,
    )
    .map_err(|_| StoreError::corrupt("sealing"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(format!("{SEALED}{}", hex::encode(out)))
}

/// Whether a stored value is sealed.
pub(crate) fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED)
}

/// The plain text of a stored value: opened if sealed (under `token_key`), as it is if kept
/// in clear.
pub(crate) fn open(token_key: Option<&[u8]>, purpose: &str, stored: &str) -> Result<String> {
    let Some(body) = stored.strip_prefix(SEALED) else {
        return Ok(stored.to_owned());
    };
    let refused = || StoreError::corrupt("a sealed secret that this token key does not open");
    let token_key = token_key.ok_or_else(refused)?;
    let bytes = hex::decode(body).map_err(|_| refused())?;
    if bytes.len() < NONCE_LEN {
        return Err(refused());
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
    let mut sealed = sealed.to_vec();
    let plain = key(token_key, purpose)?
        .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut sealed)
        .map_err(|_| refused())?;
    String::from_utf8(plain.to_vec()).map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_under_its_key_and_purpose() {
        let sealed = seal(b"key one", "webhook", "whsec-0123456789abcdef").unwrap_or_default();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("whsec"));
        let one: Option<&[u8]> = Some(b"key one");
        assert_eq!(
            open(one, "webhook", &sealed).ok().as_deref(),
            Some("whsec-0123456789abcdef")
        );
        assert!(open(Some(b"key two"), "webhook", &sealed).is_err());
        assert!(open(one, "other", &sealed).is_err());
        assert!(open(None, "webhook", &sealed).is_err());
        // Two seals of one secret differ (a fresh nonce each time).
        assert_ne!(
            seal(b"key one", "webhook", "s").ok(),
            seal(b"key one", "webhook", "s").ok()
        );
        // A value stored before sealing began reads as it is.
        assert_eq!(
            open(Some(b"k"), "webhook", "plain").ok().as_deref(),
            Some("plain")
        );
        assert_eq!(
            open(None, "webhook", "plain").ok().as_deref(),
            Some("plain")
        );
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push('0');
        assert!(open(one, "webhook", &damaged).is_err() || damaged == sealed);
    }
}
