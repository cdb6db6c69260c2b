//! The schema panel's catalog: served from the workspace's cache when there is one, so the
//! window shows it at once, and read again from the engine (Glue, on Athena) on Refresh. Only
//! for showing and completing: the star check reads the live catalog (see `star.rs`).

use std::sync::Arc;

use warden_engine::{CatalogSnapshot, EngineError};

use super::Gate;
use crate::catalog_cache::{self, CachedCatalog};

impl Gate {
    /// The catalog last read (this session, or the cache file of an earlier one); read from the
    /// engine now when there is neither.
    pub async fn catalog(&self) -> Result<Arc<CachedCatalog>, EngineError> {
        if let Some(seen) = self.catalog_seen() {
            return Ok(seen);
        }
        let cached = self
            .catalog_cache
            .as_deref()
            .and_then(|path| catalog_cache::load(path, &self.workspace));
        match cached {
            Some(cached) => {
                let cached = Arc::new(cached);
                *self.catalog_seen.write().unwrap_or_else(|p| p.into_inner()) =
                    Some(cached.clone());
                Ok(cached)
            }
            None => self.refresh_catalog().await,
        }
    }

    /// Reads the catalog from the engine now and keeps it (in memory and in the cache file).
    pub async fn refresh_catalog(&self) -> Result<Arc<CachedCatalog>, EngineError> {
        let live = self.engine.catalog().await?;
        Ok(self.remember_catalog(live))
    }

    /// The catalog read last, without reading anything.
    pub(crate) fn catalog_seen(&self) -> Option<Arc<CachedCatalog>> {
        self.catalog_seen
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Keeps `live`, just read from the engine, as the catalog the window is shown. A cache
    /// that cannot be written costs the next start a Glue listing, nothing more.
    pub(crate) fn remember_catalog(&self, live: CatalogSnapshot) -> Arc<CachedCatalog> {
        let read_at = self.now().wall;
        if let Some(path) = self.catalog_cache.as_deref() {
            if let Err(e) = catalog_cache::store(path, &self.workspace, &live, read_at) {
                tracing::warn!("catalog cache not written: {e}");
            }
        }
        let read = Arc::new(CachedCatalog {
            catalog: live,
            read_at,
            from_cache: false,
        });
        *self.catalog_seen.write().unwrap_or_else(|p| p.into_inner()) = Some(read.clone());
        read
    }

    /// Keeps the catalog in the cache file `path` (the workspace's, under the cache folder).
    pub(crate) fn cache_catalog_in(&mut self, path: std::path::PathBuf) {
        self.catalog_cache = Some(path);
    }
}
