//! A node's device identity: an Ed25519 key pair kept in its state folder, so the node id
//! (hex SHA-256 of the raw public key) is stable across restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A loaded or freshly created device identity.
pub struct Identity {
    key: SigningKey,
    /// Hex SHA-256 of the raw 32-byte public key: the node id the gateway derives.
    pub device_id: String,
    /// The raw public key, base64url without padding.
    pub public_key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    version: u32,
    device_id: String,
    /// The 32-byte Ed25519 seed, base64url.
    private_key_seed: String,
}

impl Identity {
    /// Builds an identity from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Identity {
        let key = SigningKey::from_bytes(&seed);
        let raw = key.verifying_key().to_bytes();
        let device_id = Sha256::digest(raw).iter().map(|b| format!("{b:02x}")).collect();
        Identity { key, device_id, public_key: URL_SAFE_NO_PAD.encode(raw) }
    }

    /// Reads `device.json` in `dir`, or creates it (and `dir`) with a new key.
    pub fn load_or_create(dir: &Path) -> Result<Identity, String> {
        let path = dir.join("device.json");
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let stored: Stored =
                serde_json::from_str(&text).map_err(|e| format!("{} is not a device identity: {e}", path.display()))?;
            let seed = URL_SAFE_NO_PAD
                .decode(stored.private_key_seed.as_bytes())
                .map_err(|e| format!("{}: privateKeySeed is not base64url: {e}", path.display()))?;
            let seed: [u8; 32] =
                seed.try_into().map_err(|_| format!("{}: privateKeySeed must be 32 bytes", path.display()))?;
            let identity = Identity::from_seed(seed);
            if identity.device_id != stored.device_id {
                return Err(format!("{}: deviceId does not match the key", path.display()));
            }
            return Ok(identity);
        }
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let identity = Identity::from_seed(seed);
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let stored = Stored {
            version: 1,
            device_id: identity.device_id.clone(),
            private_key_seed: URL_SAFE_NO_PAD.encode(seed),
        };
        let text = serde_json::to_string_pretty(&stored).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(identity)
    }

    /// Signs a payload; the signature is base64url without padding.
    pub fn sign(&self, payload: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.key.sign(payload.as_bytes()).to_bytes())
    }
}

/// The fields of the signed connect payload.
pub struct SignedFields<'a> {
    pub device_id: &'a str,
    pub client_id: &'a str,
    pub client_mode: &'a str,
    pub role: &'a str,
    pub scopes: &'a [String],
    pub signed_at_ms: u64,
    pub token: &'a str,
    pub nonce: &'a str,
    pub platform: &'a str,
    pub device_family: &'a str,
}

/// Lowercases ASCII capitals and trims, as the gateway does to platform and device family.
fn normalize_metadata(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

/// `v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily`
/// (protocol 4).
pub fn payload_v3(f: &SignedFields<'_>) -> String {
    [
        "v3",
        f.device_id,
        f.client_id,
        f.client_mode,
        f.role,
        &f.scopes.join(","),
        &f.signed_at_ms.to_string(),
        f.token,
        f.nonce,
        &normalize_metadata(f.platform),
        &normalize_metadata(f.device_family),
    ]
    .join("|")
}

/// `v2|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce` (what clawnode signs,
/// protocol 3).
pub fn payload_v2(f: &SignedFields<'_>) -> String {
    [
        "v2",
        f.device_id,
        f.client_id,
        f.client_mode,
        f.role,
        &f.scopes.join(","),
        &f.signed_at_ms.to_string(),
        f.token,
        f.nonce,
    ]
    .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    #[test]
    fn identity_persists_and_id_is_the_key_hash() {
        let dir = std::env::temp_dir().join(format!("clawsim-id-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = Identity::load_or_create(&dir).unwrap();
        let b = Identity::load_or_create(&dir).unwrap();
        assert_eq!(a.device_id, b.device_id);
        assert_eq!(a.device_id.len(), 64);
        let raw = URL_SAFE_NO_PAD.decode(&a.public_key).unwrap();
        let hash: String = Sha256::digest(&raw).iter().map(|x| format!("{x:02x}")).collect();
        assert_eq!(hash, a.device_id);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn signature_verifies_against_the_published_key() {
        let id = Identity::from_seed([7; 32]);
        let sig = id.sign("v3|x");
        let raw: [u8; 32] = URL_SAFE_NO_PAD.decode(&id.public_key).unwrap().try_into().unwrap();
        let sig: [u8; 64] = URL_SAFE_NO_PAD.decode(sig).unwrap().try_into().unwrap();
        VerifyingKey::from_bytes(&raw).unwrap().verify(b"v3|x", &Signature::from_bytes(&sig)).unwrap();
    }

    #[test]
    fn payload_strings_match_the_gateway_format() {
        let scopes: Vec<String> = vec![];
        let f = SignedFields {
            device_id: "abc",
            client_id: "node-host",
            client_mode: "node",
            role: "node",
            scopes: &scopes,
            signed_at_ms: 1700000000000,
            token: "tok",
            nonce: "n1",
            platform: "linux",
            device_family: "Linux",
        };
        assert_eq!(payload_v3(&f), "v3|abc|node-host|node|node||1700000000000|tok|n1|linux|linux");
        assert_eq!(payload_v2(&f), "v2|abc|node-host|node|node||1700000000000|tok|n1");
    }
}
