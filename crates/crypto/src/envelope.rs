//! Envelope encryption: each sealed item gets its own random data key (DEK); the item is
//! encrypted with the DEK and the DEK is wrapped with the master key (both XChaCha20-Poly1305).
//! The master key comes from `GATEHOUSE_MASTER_KEY` (base64, 32 bytes) or from a key file that
//! is created with mode 0600 and refused when group or others can read it.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::CryptoError;
use crate::secret::fill_random;

/// Version byte of the sealed format described on [`MasterKey::seal`].
const SEALED_VERSION: u8 = 1;
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const WRAPPED_KEY_LEN: usize = KEY_LEN + TAG_LEN;

/// Errors loading the master key.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// The value is not base64 of exactly 32 bytes.
    #[error("master key must be base64 of 32 bytes")]
    Malformed,
    /// The key file is readable by group or others.
    #[error("master key file {0} is readable by group or others; run chmod 600 on it")]
    Permissions(String),
    /// Reading or creating the key file failed.
    #[error("master key file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// The master key. `Debug` never prints it.
pub struct MasterKey {
    bytes: [u8; KEY_LEN],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        // Best effort: black_box keeps the compiler from dropping the dead store.
        self.bytes.fill(0);
        std::hint::black_box(&self.bytes);
    }
}

impl MasterKey {
    /// Parses base64 (standard or url-safe, padded or not) of exactly 32 bytes.
    pub fn from_base64(value: &str) -> Result<Self, MasterKeyError> {
        const INDIFFERENT: GeneralPurposeConfig =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        const STANDARD_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, INDIFFERENT);
        const URL_SAFE_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, INDIFFERENT);

        let value = value.trim();
        let mut decoded = STANDARD_ANY
            .decode(value)
            .or_else(|_| URL_SAFE_ANY.decode(value))
            .map_err(|_| MasterKeyError::Malformed)?;
        let bytes =
            <[u8; KEY_LEN]>::try_from(decoded.as_slice()).map_err(|_| MasterKeyError::Malformed);
        decoded.fill(0);
        Ok(Self { bytes: bytes? })
    }

    /// Loads the key file, or creates it (mode 0600, parent dir created 0700) with a fresh
    /// random key when it does not exist. Refuses a file readable by group or others.
    pub fn load_or_create_file(path: &Path) -> Result<Self, MasterKeyError> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Self::load_file(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match Self::create_file(path) {
                Ok(key) => Ok(key),
                // Another process created it first: use theirs.
                Err(MasterKeyError::Io { .. }) if path.exists() => Self::load_file(path),
                Err(e) => Err(e),
            },
            Err(e) => Err(io_error(path, &e)),
        }
    }

    fn load_file(path: &Path) -> Result<Self, MasterKeyError> {
        let metadata = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            if metadata.permissions().mode() & 0o077 != 0 {
                return Err(MasterKeyError::Permissions(path.display().to_string()));
            }
        }
        #[cfg(not(unix))]
        let _ = metadata;
        let mut text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
        let key = Self::from_base64(&text);
        // Do not leave the base64 copy of the key in freed memory.
        let mut raw = std::mem::take(&mut text).into_bytes();
        raw.fill(0);
        std::hint::black_box(&raw);
        key
    }

    fn create_file(path: &Path) -> Result<Self, MasterKeyError> {
        let missing_parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty() && !p.exists());
        if let Some(parent) = missing_parent {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(parent).map_err(|e| io_error(parent, &e))?;
        }
        let mut options = std::fs::OpenOptions::new();
        // create_new: never overwrite a key that appeared meanwhile.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| io_error(path, &e))?;

        let mut bytes = [0u8; KEY_LEN];
        fill_random(&mut bytes);
        let key = Self { bytes };
        let mut line = STANDARD.encode(key.bytes);
        line.push('\n');
        let written = file
            .write_all(line.as_bytes())
            .and_then(|()| file.sync_all());
        let mut raw = line.into_bytes();
        raw.fill(0);
        std::hint::black_box(&raw);
        if let Err(e) = written {
            // Leave no empty or partial key file behind.
            let _ = std::fs::remove_file(path);
            return Err(io_error(path, &e));
        }
        Ok(key)
    }

    /// Seals `plaintext` bound to `aad` (for example `tenant_id/kid`): fresh DEK, DEK wrapped
    /// by the master key, output is a self-describing versioned byte string.
    ///
    /// Layout: `1 || wrap nonce (24) || wrapped DEK (48) || data nonce (24) || ciphertext+tag`,
    /// both layers XChaCha20-Poly1305 with `aad`. Plaintexts over 256 GiB (beyond what the
    /// cipher allows) yield an empty vector, which [`MasterKey::open`] refuses.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut dek = [0u8; KEY_LEN];
        let mut wrap_nonce = [0u8; NONCE_LEN];
        let mut data_nonce = [0u8; NONCE_LEN];
        fill_random(&mut dek);
        fill_random(&mut wrap_nonce);
        fill_random(&mut data_nonce);

        let master = XChaCha20Poly1305::new(&Key::from(self.bytes));
        let data_cipher = XChaCha20Poly1305::new(&Key::from(dek));
        let wrapped = master.encrypt(&XNonce::from(wrap_nonce), Payload { msg: &dek, aad });
        let ciphertext = data_cipher.encrypt(
            &XNonce::from(data_nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        );
        dek.fill(0);
        std::hint::black_box(&dek);
        let (Ok(wrapped), Ok(ciphertext)) = (wrapped, ciphertext) else {
            return Vec::new();
        };

        let mut out =
            Vec::with_capacity(1 + NONCE_LEN + WRAPPED_KEY_LEN + NONCE_LEN + ciphertext.len());
        out.push(SEALED_VERSION);
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&data_nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens what [`MasterKey::seal`] produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, crate::CryptoError> {
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::Decrypt)?;
        if version != SEALED_VERSION {
            return Err(CryptoError::Decrypt);
        }
        let (wrap_nonce, rest) = split_array::<NONCE_LEN>(rest)?;
        let (wrapped, rest) = rest
            .split_at_checked(WRAPPED_KEY_LEN)
            .ok_or(CryptoError::Decrypt)?;
        let (data_nonce, ciphertext) = split_array::<NONCE_LEN>(rest)?;

        let master = XChaCha20Poly1305::new(&Key::from(self.bytes));
        let dek = master
            .decrypt(&XNonce::from(wrap_nonce), Payload { msg: wrapped, aad })
            .map_err(|_| CryptoError::Decrypt)?;
        let dek = <[u8; KEY_LEN]>::try_from(dek.as_slice()).map_err(|_| CryptoError::Decrypt)?;
        XChaCha20Poly1305::new(&Key::from(dek))
            .decrypt(
                &XNonce::from(data_nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }
}

fn split_array<const N: usize>(bytes: &[u8]) -> Result<([u8; N], &[u8]), CryptoError> {
    let (head, rest) = bytes.split_at_checked(N).ok_or(CryptoError::Decrypt)?;
    let head = <[u8; N]>::try_from(head).map_err(|_| CryptoError::Decrypt)?;
    Ok((head, rest))
}

fn io_error(path: &Path, error: &std::io::Error) -> MasterKeyError {
    MasterKeyError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey {
            bytes: [byte; KEY_LEN],
        }
    }

    #[test]
    fn seal_open_roundtrip() {
        let master = key(7);
        for plaintext in [&b""[..], b"x", &[0xAB; 4096]] {
            let sealed = master.seal(plaintext, b"tenant/kid");
            assert_eq!(sealed.len(), 1 + 24 + 48 + 24 + plaintext.len() + 16);
            assert_eq!(sealed[0], 1);
            assert_eq!(master.open(&sealed, b"tenant/kid").unwrap(), plaintext);
        }
        // Fresh DEK and nonces each time.
        assert_ne!(master.seal(b"same", b""), master.seal(b"same", b""));
    }

    #[test]
    fn open_refuses_wrong_aad_key_or_damaged_input() {
        let master = key(7);
        let sealed = master.seal(b"private key", b"tenant-a/kid");
        let refused = |r: Result<Vec<u8>, CryptoError>| matches!(r, Err(CryptoError::Decrypt));
        assert!(refused(master.open(&sealed, b"tenant-b/kid")));
        assert!(refused(key(8).open(&sealed, b"tenant-a/kid")));
        for len in 0..sealed.len() {
            assert!(
                refused(master.open(&sealed[..len], b"tenant-a/kid")),
                "truncated to {len}"
            );
        }
        for i in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[i] ^= 0x01;
            assert!(
                refused(master.open(&damaged, b"tenant-a/kid")),
                "bit flip at {i}"
            );
        }
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(refused(master.open(&longer, b"tenant-a/kid")));
    }

    #[test]
    fn from_base64_accepts_all_alphabets_and_paddings() {
        let bytes: Vec<u8> = (0u8..32)
            .map(|b| b.wrapping_mul(37).wrapping_add(250))
            .collect();
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        for engine in engines {
            let text = format!("{}\n", engine.encode(&bytes));
            assert_eq!(
                MasterKey::from_base64(&text).unwrap().bytes.as_slice(),
                bytes.as_slice()
            );
        }
    }

    #[test]
    fn from_base64_refuses_wrong_length_or_garbage() {
        for value in [
            "".to_owned(),
            STANDARD.encode([1u8; 31]),
            STANDARD.encode([1u8; 33]),
            STANDARD.encode([1u8; 64]),
            "not base64 at all!".to_owned(),
        ] {
            assert!(
                matches!(
                    MasterKey::from_base64(&value),
                    Err(MasterKeyError::Malformed)
                ),
                "{value}"
            );
        }
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(format!("{:?}", key(1)), "MasterKey([redacted])");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_private_and_reloaded() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets").join("master.key");
        let created = MasterKey::load_or_create_file(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(STANDARD.decode(text.trim()).unwrap().len(), 32);

        let loaded = MasterKey::load_or_create_file(&path).unwrap();
        let sealed = created.seal(b"secret", b"aad");
        assert_eq!(loaded.open(&sealed, b"aad").unwrap(), b"secret");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create_file(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            MasterKey::load_or_create_file(&path),
            Err(MasterKeyError::Permissions(p)) if p == path.display().to_string()
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            MasterKey::load_or_create_file(&path),
            Err(MasterKeyError::Permissions(_))
        ));
    }

    #[test]
    fn malformed_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path).unwrap().write_all(b"short\n").unwrap();
        assert!(matches!(
            MasterKey::load_or_create_file(&path),
            Err(MasterKeyError::Malformed)
        ));
    }
}
