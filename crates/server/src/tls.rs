//! TLS with rustls, from PEM files that are re-read when they change, so a renewed
//! certificate (e.g. from an ACME client) is served without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    #[error("{0} holds no private key")]
    NoKey(PathBuf),
    #[error("unusable private key: {0}")]
    Key(rustls::Error),
}

fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Read {
            path: p.to_owned(),
            source,
        })
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Read {
            path: cert.to_owned(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_owned()));
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|source| TlsError::Read {
            path: key.to_owned(),
            source,
        })?
        .ok_or_else(|| TlsError::NoKey(key.to_owned()))?;
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&key_der).map_err(TlsError::Key)?;
    let key = CertifiedKey::new(chain, signing);
    // A renewal caught between writing the certificate and the key must not be served.
    key.keys_match().map_err(TlsError::Key)?;
    Ok(key)
}

/// Serves whatever certificate was loaded last.
#[derive(Debug)]
struct Reloading {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| Arc::clone(&c))
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Loads the pair, and re-loads it every `interval` when either file changed, until `stop`.
pub fn server_config(
    cert: PathBuf,
    key: PathBuf,
    interval: Duration,
    stop: CancellationToken,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let resolver = Arc::new(Reloading {
        current: RwLock::new(Arc::new(load(&cert, &key)?)),
    });
    let watcher = Arc::clone(&resolver);
    tokio::spawn(async move {
        let mut stamp = (modified(&cert), modified(&key));
        let mut tick = tokio::time::interval(interval);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = (modified(&cert), modified(&key));
            if now == stamp {
                continue;
            }
            match load(&cert, &key) {
                Ok(fresh) => {
                    if let Ok(mut current) = watcher.current.write() {
                        *current = Arc::new(fresh);
                    }
                    stamp = now;
                    tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                }
                // Half-written files during renewal: keep serving the old pair and retry.
                Err(e) => tracing::warn!("TLS certificate not reloaded yet: {e}"),
            }
        }
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Key)?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
