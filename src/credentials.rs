//! Access keys, and where they come from: the code, the environment, the jdcloud CLI's profile.

use std::{fmt, path::PathBuf, sync::Arc};

use crate::Error;

/// An access key pair, with an optional security token for temporary credentials.
///
/// `Debug` never shows the secret key or the token.
///
/// # Example
///
/// ```
/// use jdcloud_vm::Credentials;
///
/// let credentials = Credentials::new("AKEXAMPLE", "SKEXAMPLE").with_security_token("tok-123");
/// assert_eq!(credentials.access_key(), "AKEXAMPLE");
/// assert!(!format!("{credentials:?}").contains("SKEXAMPLE"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Secret>,
}

struct Secret {
    access_key: String,
    secret_key: String,
    security_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.inner.access_key)
            .field("secret_key", &"** redacted **")
            .field(
                "security_token",
                &self.inner.security_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Environment variables, in the order they are tried.
const ENV_FAMILIES: [(&str, &str, Option<&str>); 2] = [
    (
        "JDCLOUD_ACCESS_KEY_ID",
        "JDCLOUD_SECRET_ACCESS_KEY",
        Some("JDCLOUD_SESSION_TOKEN"),
    ),
    ("JDCLOUD_ACCESS_KEY", "JDCLOUD_SECRET_KEY", None),
];

impl Credentials {
    /// Long-term credentials: an access key and its secret key.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Credentials {
        Credentials {
            inner: Arc::new(Secret {
                access_key: access_key.into(),
                secret_key: secret_key.into(),
                security_token: None,
            }),
        }
    }

    /// Adds the security token of temporary credentials; it is sent base64-encoded as
    /// `x-jdcloud-security-token`, and signed.
    pub fn with_security_token(self, token: impl Into<String>) -> Credentials {
        Credentials {
            inner: Arc::new(Secret {
                access_key: self.inner.access_key.clone(),
                secret_key: self.inner.secret_key.clone(),
                security_token: Some(token.into()),
            }),
        }
    }

    /// The access key (not secret: it names the key pair).
    pub fn access_key(&self) -> &str {
        &self.inner.access_key
    }

    /// The secret key.
    pub fn secret_key(&self) -> &str {
        &self.inner.secret_key
    }

    /// The security token, for temporary credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.inner.security_token.as_deref()
    }

    /// Reads `JDCLOUD_ACCESS_KEY_ID` and `JDCLOUD_SECRET_ACCESS_KEY` (and `JDCLOUD_SESSION_TOKEN`
    /// when set), else `JDCLOUD_ACCESS_KEY` and `JDCLOUD_SECRET_KEY`.
    ///
    /// An error of kind [`InvalidInput`](crate::ErrorKind::InvalidInput) when neither pair is
    /// complete, naming the variables it looked for.
    pub fn from_env() -> Result<Credentials, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())?.ok_or_else(|| {
            Error::invalid_input(
                "credentials: none in the environment (set JDCLOUD_ACCESS_KEY_ID and JDCLOUD_SECRET_ACCESS_KEY, or JDCLOUD_ACCESS_KEY and JDCLOUD_SECRET_KEY)",
            )
        })
    }

    /// `Ok(None)` when no variable of either family is set; an error when one is half set.
    pub(crate) fn from_env_if_set() -> Result<Option<Credentials>, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>, Error> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        for (ak_name, sk_name, token_name) in ENV_FAMILIES {
            match (get(ak_name), get(sk_name)) {
                (Some(ak), Some(sk)) => {
                    let credentials = Credentials::new(ak.trim(), sk.trim());
                    return Ok(Some(match token_name.and_then(get) {
                        Some(token) => credentials.with_security_token(token.trim()),
                        None => credentials,
                    }));
                }
                (Some(_), None) => {
                    return Err(Error::invalid_input(format!(
                        "credentials: {ak_name} is set but {sk_name} is not"
                    )))
                }
                (None, Some(_)) => {
                    return Err(Error::invalid_input(format!(
                        "credentials: {sk_name} is set but {ak_name} is not"
                    )))
                }
                (None, None) => {}
            }
        }
        Ok(None)
    }

    /// Reads a profile of the jdcloud CLI's INI file `~/.jdc/config`: the named profile, else
    /// the one named in `~/.jdc/current`, else `default`; keys `access_key` and `secret_key`.
    pub fn from_profile(name: Option<&str>) -> Result<Credentials, Error> {
        let dir = home_dir().map(|home| home.join(".jdc")).ok_or_else(|| {
            Error::invalid_input("credentials: no home directory to find ~/.jdc/config in")
        })?;
        Profile::load(&dir, name)?.credentials()
    }
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// One section of the jdcloud CLI's `config` file.
#[derive(Default)]
pub(crate) struct Profile {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) access_key: Option<String>,
    pub(crate) secret_key: Option<String>,
}

impl Profile {
    /// Loads profile `name` (else `current`'s, else `default`) from the CLI directory `dir`.
    pub(crate) fn load(dir: &std::path::Path, name: Option<&str>) -> Result<Profile, Error> {
        let name = match name {
            Some(name) => name.to_owned(),
            None => std::fs::read_to_string(dir.join("current"))
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
        };
        let path = dir.join("config");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::invalid_input(format!("credentials: cannot read {}: {e}", path.display()))
        })?;
        let mut profile = Profile {
            name: name.clone(),
            path: path.clone(),
            ..Profile::default()
        };
        let mut found = false;
        let mut in_section = false;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                in_section = section.trim() == name;
                found |= in_section;
                continue;
            }
            if !in_section {
                continue;
            }
            let Some((key, value)) = line.split_once(['=', ':']) else {
                continue;
            };
            let value = value.trim().to_owned();
            match key.trim() {
                "access_key" => profile.access_key = Some(value),
                "secret_key" => profile.secret_key = Some(value),
                _ => {}
            }
        }
        if !found {
            return Err(Error::invalid_input(format!(
                "credentials: profile [{name}] not found in {}",
                path.display()
            )));
        }
        Ok(profile)
    }

    pub(crate) fn credentials(&self) -> Result<Credentials, Error> {
        match (&self.access_key, &self.secret_key) {
            (Some(ak), Some(sk)) if !ak.is_empty() && !sk.is_empty() => {
                Ok(Credentials::new(ak, sk))
            }
            _ => Err(Error::invalid_input(format!(
                "credentials: profile [{}] in {} lacks access_key or secret_key",
                self.name,
                self.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_id_family_wins_and_carries_the_session_token() {
        let c = Credentials::from_lookup(env(&[
            ("JDCLOUD_ACCESS_KEY_ID", "ak1"),
            ("JDCLOUD_SECRET_ACCESS_KEY", "sk1"),
            ("JDCLOUD_SESSION_TOKEN", "tok"),
            ("JDCLOUD_ACCESS_KEY", "ak2"),
            ("JDCLOUD_SECRET_KEY", "sk2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.access_key(), c.secret_key(), c.security_token()),
            ("ak1", "sk1", Some("tok"))
        );
    }

    #[test]
    fn the_short_family_is_the_fallback() {
        let c = Credentials::from_lookup(env(&[
            ("JDCLOUD_ACCESS_KEY", "ak2"),
            ("JDCLOUD_SECRET_KEY", "sk2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.access_key(), c.secret_key(), c.security_token()),
            ("ak2", "sk2", None)
        );
    }

    #[test]
    fn half_a_pair_is_an_error_naming_the_missing_variable() {
        let e = Credentials::from_lookup(env(&[("JDCLOUD_ACCESS_KEY_ID", "ak1")])).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("JDCLOUD_SECRET_ACCESS_KEY"), "{e}");
    }

    #[test]
    fn no_variables_is_none_so_the_profile_is_tried_next() {
        assert!(Credentials::from_lookup(env(&[])).unwrap().is_none());
    }

    #[test]
    fn profiles_follow_current_then_default() {
        let dir = std::env::temp_dir().join(format!("jdc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config"),
            "[default]\naccess_key = ak-d\nsecret_key = sk-d\n\n[work]\naccess_key=ak-w\nsecret_key=sk-w\nendpoint = vm.internal.cn-north-1.jdcloud-api.com\n",
        )
        .unwrap();
        let p = Profile::load(&dir, None).unwrap();
        assert_eq!(p.credentials().unwrap().access_key(), "ak-d");
        std::fs::write(dir.join("current"), "work\n").unwrap();
        let p = Profile::load(&dir, None).unwrap();
        assert_eq!(p.credentials().unwrap().secret_key(), "sk-w");
        let e = Profile::load(&dir, Some("nope")).map(|_| ()).unwrap_err();
        assert!(e.to_string().contains("[nope]"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
