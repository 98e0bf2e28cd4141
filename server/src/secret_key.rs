//! The server key file: read it, or create it (mode 0600) on first start.

use std::io::Write;
use std::path::Path;

use app::secrets::LinkKey;

/// Reads the key at `path`, creating a new random one when the file does not exist. When two
/// servers start at once, the one that loses the race reads the winner's key.
pub fn load_or_create(path: &Path) -> Result<LinkKey, String> {
    let describe = |problem: String| format!("{}: {problem}", path.display());
    match std::fs::read_to_string(path) {
        Ok(encoded) => LinkKey::decode(&encoded)
            .ok_or_else(|| describe("is not a Gatehouse key (43 base64url characters)".into())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                crate::db::create_private_dir(parent).map_err(|e| describe(e.to_string()))?;
            }
            let encoded = LinkKey::generate_encoded();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(encoded.as_bytes())
                        .map_err(|e| describe(e.to_string()))?;
                    LinkKey::decode(&encoded).ok_or_else(|| describe("new key unreadable".into()))
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_or_create(path)
                }
                Err(error) => Err(describe(error.to_string())),
            }
        }
        Err(error) => Err(describe(error.to_string())),
    }
}

/// A warning when the key file can be read by other users of the machine: whoever reads it
/// can open every sealed invite link in a copy of the database.
pub fn readable_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "GATEHOUSE_SECRET_KEY_FILE: {} can be read by other users (mode {:o}); \
                 run chmod 600 on it",
                path.display(),
                mode & 0o777
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested/secret.key");
        let first = load_or_create(&path).expect("created");
        let token = app::secrets::SecretToken::generate();
        let sealed = first.seal(&token, "ctx");
        let second = load_or_create(&path).expect("read back");
        assert_eq!(second.open(&sealed, "ctx"), Ok(token));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            assert_eq!(readable_by_others(&path), None);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let warning = readable_by_others(&path).expect("a warning");
            assert!(warning.contains("644"), "{warning}");
            let folder = std::fs::metadata(path.parent().expect("folder"))
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(folder & 0o777, 0o700, "the key's new folder is private");
        }
    }

    #[test]
    fn a_damaged_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret.key");
        std::fs::write(&path, "not a key").expect("write");
        let error = load_or_create(&path).expect_err("damaged");
        assert!(error.contains("secret.key"), "{error}");
    }
}
