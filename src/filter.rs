//! Placeholder for the gitignore-style filters (being built in its own branch).

/// Why a pattern cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("bad pattern {0:?}")]
pub struct FilterError(pub String);

/// Which paths a mirror takes.
#[derive(Debug, Default)]
pub struct Filter {
    excludes: Vec<crate::names::Glob>,
}

impl Filter {
    /// A filter of these patterns.
    pub fn new(excludes: &[String], _includes: &[String]) -> Result<Filter, FilterError> {
        let excludes = excludes
            .iter()
            .map(|p| crate::names::Glob::new(p).map_err(|_| FilterError(p.clone())))
            .collect::<Result<_, _>>()?;
        Ok(Filter { excludes })
    }

    /// Whether `path` (relative, `/`-separated) is taken.
    pub fn allows(&self, path: &str, _is_dir: bool) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        !self.excludes.iter().any(|g| g.matches(name))
    }
}
