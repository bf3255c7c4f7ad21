//! Where a token is kept between runs: one trait, and a file that holds a
//! token per server.
//!
//! RxInferServer ties every instance to the token that created it and
//! never expires a token, so a token is an identity: a program that keeps
//! its token reaches, after a restart, the instances it created before.
//! [`GeneratedToken::with_store`](crate::GeneratedToken::with_store) loads
//! the token kept for a server, or generates one and saves it.

use std::{
    collections::BTreeMap,
    fmt,
    fs::{self, File, OpenOptions},
    future::Future,
    io::{self, Write},
    path::{Path, PathBuf},
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering},
};

use rxinfer_transport::{BaseUrl, BearerToken};

/// What a [`TokenStore`] call returns.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, TokenStoreError>> + Send>>;

/// Keeps one token per server, keyed by the server's origin
/// (`http://host:port`), so one store serves several servers.
///
/// Implement it for a keyring or a vault. Calls are rare (the first call
/// of a client, and a renewal), so a store may do blocking I/O inside its
/// futures, as [`FileTokenStore`] does with its small file.
///
/// ```
/// use std::{collections::HashMap, sync::Mutex};
/// use rxinfer_auth_api::{StoreFuture, TokenStore};
/// use rxinfer_transport::BearerToken;
///
/// /// Tokens in memory, for tests.
/// #[derive(Debug, Default)]
/// struct Memory(Mutex<HashMap<String, BearerToken>>);
///
/// impl TokenStore for Memory {
///     fn load(&self, origin: &str) -> StoreFuture<Option<BearerToken>> {
///         let token = self.0.lock().map(|map| map.get(origin).cloned()).unwrap_or_default();
///         Box::pin(async move { Ok(token) })
///     }
///
///     fn save(&self, origin: &str, token: &BearerToken) -> StoreFuture<()> {
///         if let Ok(mut map) = self.0.lock() {
///             map.insert(origin.to_owned(), token.clone());
///         }
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait TokenStore: fmt::Debug + Send + Sync + 'static {
    /// The token kept for `origin`, if any.
    fn load(&self, origin: &str) -> StoreFuture<Option<BearerToken>>;

    /// Keeps `token` for `origin`, replacing the one kept before.
    fn save(&self, origin: &str, token: &BearerToken) -> StoreFuture<()>;
}

/// Why a token store could not load or save.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenStoreError {
    /// The store could not be read or written.
    #[error("the token store at {path} could not be {action}")]
    Io {
        /// The store's file.
        path: PathBuf,
        /// `read` or `written`.
        action: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The store holds something that is not a map of origins to tokens,
    /// or a token that cannot be a header value. The message says where,
    /// never what.
    #[error("the token store at {path} is not a map of origins to tokens")]
    Format {
        /// The store's file.
        path: PathBuf,
    },
    /// A store of the user's own failed.
    #[error("the token store failed")]
    Other(#[source] rxinfer_api_core::BoxError),
}

/// The origin a token is kept under: the scheme, host and port of `base`.
///
/// ```
/// let base = "http://127.0.0.1:8000/v1".parse()?;
/// assert_eq!(rxinfer_auth_api::origin_of(&base), "http://127.0.0.1:8000");
/// # Ok::<(), rxinfer_transport::InvalidBaseUrl>(())
/// ```
pub fn origin_of(base: &BaseUrl) -> String {
    format!("{}://{}", base.scheme(), base.authority())
}

/// Tokens kept in a JSON file, `{"<origin>": "<token>"}`:
///
/// - written atomically (a temporary file beside it, synced, then renamed
///   over it), so a crash never leaves half a file;
/// - readable and writable by its owner only (mode `0600` on Unix; the
///   folder it creates is `0700`);
/// - never logged: its `Debug` shows the path, and its errors name the
///   path, never a token.
///
/// Two saves at the same moment (two processes, say) may lose one of the
/// two (each writes the whole map it read); the file stays whole either
/// way. A save that fails after a token was generated fails the call that
/// needed the token, with why: that token owns nothing yet, and the next
/// call generates and saves another.
///
/// ```
/// use rxinfer_auth_api::{FileTokenStore, TokenStore};
/// use rxinfer_transport::BearerToken;
///
/// # tokio_test::block_on(async {
/// # let dir = std::env::temp_dir().join(format!("rxinfer-doc-{}", std::process::id()));
/// let store = FileTokenStore::new(dir.join("tokens.json"));
/// store.save("http://127.0.0.1:8000", &BearerToken::new("abc")?).await?;
/// assert_eq!(store.load("http://127.0.0.1:8000").await?, Some(BearerToken::new("abc")?));
/// assert_eq!(store.load("http://other:8000").await?, None);
/// # std::fs::remove_dir_all(dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// ```
#[derive(Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store in the file at `path` (created on the first save, with its
    /// folder).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The user's store: `$XDG_CONFIG_HOME/rxinfer/tokens.json`, or else
    /// `$HOME/.config/rxinfer/tokens.json` (on Windows `%APPDATA%`); `None`
    /// when none of these is set to an absolute path.
    pub fn user_default() -> Option<Self> {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|home| !home.is_empty())
                    .map(|home| PathBuf::from(home).join(".config"))
            })
            .or_else(|| {
                std::env::var_os("APPDATA")
                    .filter(|dir| !dir.is_empty())
                    .map(PathBuf::from)
            })
            // A relative folder would put tokens wherever the program runs.
            .filter(|dir| dir.is_absolute())?;
        Some(Self::new(config.join("rxinfer").join("tokens.json")))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Forgets the token kept for `origin`, so that the next client
    /// generates a new identity: for a token the server no longer knows (a
    /// wiped database). The instances of the old token stay out of reach.
    ///
    /// # Errors
    ///
    /// As a save.
    pub fn forget(&self, origin: &str) -> Result<(), TokenStoreError> {
        let mut tokens = self.read()?;
        if tokens.remove(origin).is_some() {
            self.write(&tokens)?;
        }
        Ok(())
    }

    fn read(&self) -> Result<BTreeMap<String, String>, TokenStoreError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => return Err(self.io("read", source)),
        };
        serde_json::from_str(&text).map_err(|_| TokenStoreError::Format {
            path: self.path.clone(),
        })
    }

    fn write(&self, tokens: &BTreeMap<String, String>) -> Result<(), TokenStoreError> {
        let written = |source| self.io("written", source);
        let folder = match self.path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&folder).map_err(written)?;
        let bytes = serde_json::to_vec_pretty(tokens).map_err(|e| written(io::Error::other(e)))?;
        let name = self.path.file_name().map_or_else(
            || "tokens.json".into(),
            |name| name.to_string_lossy().into_owned(),
        );
        // Unique to this save, so that concurrent saves never share one.
        static SAVES: AtomicU64 = AtomicU64::new(0);
        let save = SAVES.fetch_add(1, Ordering::Relaxed);
        let temporary = folder.join(format!(".{name}.{}.{save}.tmp", std::process::id()));
        write_private(&temporary, &bytes).map_err(written)?;
        fs::rename(&temporary, &self.path).map_err(|error| {
            let _ = fs::remove_file(&temporary);
            written(error)
        })
    }

    fn io(&self, action: &'static str, source: io::Error) -> TokenStoreError {
        TokenStoreError::Io {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

/// Writes `bytes` to a new file at `path` that only its owner can read,
/// and syncs it. The file must not exist: a file or symbolic link planted
/// there is refused, never written through, and left alone. A file this
/// call created is removed if writing it fails.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file: File = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

fn create_private_dir(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

impl fmt::Debug for FileTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileTokenStore")
            .field("path", &self.path)
            .finish()
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, origin: &str) -> StoreFuture<Option<BearerToken>> {
        let loaded = self.read().and_then(|tokens| match tokens.get(origin) {
            None => Ok(None),
            Some(token) => BearerToken::new(token)
                .map(Some)
                .map_err(|_| TokenStoreError::Format {
                    path: self.path.clone(),
                }),
        });
        Box::pin(async move { loaded })
    }

    fn save(&self, origin: &str, token: &BearerToken) -> StoreFuture<()> {
        let saved = self.read().and_then(|mut tokens| {
            tokens.insert(origin.to_owned(), token.expose().to_owned());
            self.write(&tokens)
        });
        Box::pin(async move { saved })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rxinfer-store-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn one_file_keeps_a_token_per_origin_and_replaces_it()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = scratch("origins");
        let store = FileTokenStore::new(dir.join("nested").join("tokens.json"));
        assert_eq!(store.load("http://a:1").await?, None, "no file yet");
        store
            .save("http://a:1", &BearerToken::new("first")?)
            .await?;
        store
            .save("http://b:2", &BearerToken::new("other")?)
            .await?;
        store
            .save("http://a:1", &BearerToken::new("second")?)
            .await?;
        assert_eq!(
            store.load("http://a:1").await?,
            Some(BearerToken::new("second")?)
        );
        assert_eq!(
            store.load("http://b:2").await?,
            Some(BearerToken::new("other")?)
        );
        // A new store over the same file: what a restarted program sees.
        let again = FileTokenStore::new(store.path());
        assert_eq!(
            again.load("http://b:2").await?,
            Some(BearerToken::new("other")?)
        );
        again.forget("http://b:2")?;
        assert_eq!(store.load("http://b:2").await?, None, "forgotten");
        assert!(store.load("http://a:1").await?.is_some(), "the others kept");
        // No temporary file is left beside it.
        let left: Vec<_> = fs::read_dir(dir.join("nested"))?.collect();
        assert_eq!(left.len(), 1);
        fs::remove_dir_all(dir)?;
        Ok(())
    }

    #[test]
    fn concurrent_saves_leave_a_whole_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = scratch("concurrent");
        let store = FileTokenStore::new(dir.join("tokens.json"));
        let threads: Vec<_> = (0..8)
            .map(|n| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for round in 0..20 {
                        let token = BearerToken::new(&format!("t{n}-{round}")).expect("valid");
                        // A save may lose a race, never corrupt the file.
                        let _ = tokio_test::block_on(store.save(&format!("http://h{n}:1"), &token));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread
                .join()
                .expect("a saving thread ends without panicking");
        }
        let tokens = store.read()?;
        assert!(!tokens.is_empty());
        let left = fs::read_dir(&dir)?.count();
        assert_eq!(left, 1, "no temporary file is left");
        fs::remove_dir_all(dir)?;
        Ok(())
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn only_the_owner_can_read_the_file() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let store = FileTokenStore::new(dir.join("tokens.json"));
        store
            .save("http://a:1", &BearerToken::new("secret")?)
            .await?;
        let mode = fs::metadata(store.path())?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let folder = fs::metadata(&dir)?.permissions().mode();
        assert_eq!(folder & 0o777, 0o700, "{folder:o}");
        fs::remove_dir_all(dir)?;
        Ok(())
    }

    #[tokio::test]
    async fn a_broken_file_is_a_typed_error_that_shows_no_token()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = scratch("broken");
        fs::create_dir_all(&dir)?;
        let path = dir.join("tokens.json");
        fs::write(
            &path,
            r#"{"http://a:1": "bad token with spaces", "x": "secret-1"#,
        )?;
        let store = FileTokenStore::new(&path);
        let error = store.load("http://a:1").await.expect_err("not JSON");
        assert!(matches!(error, TokenStoreError::Format { .. }), "{error:?}");
        // A save over a broken file refuses rather than dropping its tokens.
        assert!(
            store
                .save("http://b:1", &BearerToken::new("t")?)
                .await
                .is_err()
        );
        fs::write(&path, r#"{"http://a:1": "bad token with spaces"}"#)?;
        let error = store.load("http://a:1").await.expect_err("not a token");
        assert!(matches!(error, TokenStoreError::Format { .. }), "{error:?}");
        assert!(!format!("{error} {error:?}").contains("bad token"));
        assert!(!format!("{store:?}").contains("secret"));
        fs::remove_dir_all(dir)?;
        Ok(())
    }

    proptest::proptest! {
        /// The token file, fuzzed: whatever it holds, loading answers a
        /// token, nothing, or a typed error that quotes none of it.
        #[test]
        fn any_file_content_loads_or_fails_without_echo(
            content in proptest::prop_oneof![
                "\\PC{0,64}",
                "\\{\"http://a:1\": \"[ -~]{0,24}\"\\}",
            ],
        ) {
            let dir = scratch("fuzz");
            fs::create_dir_all(&dir).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let store = FileTokenStore::new(dir.join("tokens.json"));
            fs::write(store.path(), &content).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let loaded = tokio_test::block_on(store.load("http://a:1"));
            if let Err(error) = loaded {
                let shown = format!("{error} {error:?}");
                // Neither the file nor a token in it is quoted.
                let token = serde_json::from_str::<BTreeMap<String, String>>(&content)
                    .ok()
                    .and_then(|tokens| tokens.get("http://a:1").cloned());
                for secret in std::iter::once(content.clone()).chain(token) {
                    if secret.len() > 4 {
                        proptest::prop_assert!(!shown.contains(&secret), "{shown}");
                    }
                }
            }
            let _ = fs::remove_dir_all(dir);
        }
    }
}
