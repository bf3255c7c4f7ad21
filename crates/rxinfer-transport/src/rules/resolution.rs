//! Base-URL resolution: a request's path under the [`BaseUrl`], parsed
//! once and remembered for fixed paths. tower-http has no such rule
//! (kube-client writes its own too): its `MapRequest` would re-parse the
//! base on every call.

use std::sync::OnceLock;

use http::{Uri, uri::PathAndQuery};

use crate::{BaseUrl, BoxError};

/// How many distinct request targets one resolver remembers. An API has a
/// handful of fixed paths; targets past this many are resolved every time.
pub(crate) const MAX_REMEMBERED: usize = 64;

/// Resolves targets under the base, remembering the answers for fixed
/// paths: a request for a path seen before costs a lookup and a clone
/// instead of building and parsing a URI (measured: about 800 instructions
/// a call). Paths with parameters (instance ids, episode names) are
/// resolved every time, so they never crowd the fixed ones out.
///
/// The answers sit in slots that are each set once and filled in order, so
/// that a lookup takes no lock: a lock's reader count is a write to a line
/// every thread shares, on every call.
#[derive(Debug)]
pub(crate) struct Resolver {
    base: BaseUrl,
    remembered: Box<[OnceLock<Answer>]>,
}

/// A target and its resolution; boxed, so that the empty slots are small.
type Answer = Box<(PathAndQuery, Uri)>;

impl Resolver {
    pub(crate) fn new(base: BaseUrl) -> Self {
        Self {
            base,
            remembered: (0..MAX_REMEMBERED).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The absolute URI of `uri`: itself when it already is absolute.
    pub(crate) fn absolute(&self, uri: &Uri, fixed_path: bool) -> Result<Uri, BoxError> {
        if uri.scheme().is_some() {
            return Ok(uri.clone());
        }
        if !fixed_path {
            let target = uri.path_and_query().map_or("/", PathAndQuery::as_str);
            return self.base.resolve(target);
        }
        self.resolve(uri.path_and_query())
    }

    fn resolve(&self, target: Option<&PathAndQuery>) -> Result<Uri, BoxError> {
        let Some(target) = target else {
            return self.base.resolve("/");
        };
        let mut filled = self.remembered.iter().map_while(OnceLock::get);
        if let Some(answer) = filled.find(|answer| answer.0 == *target) {
            return Ok(answer.1.clone());
        }
        let uri = self.base.resolve(target.as_str())?;
        if self
            .remembered
            .last()
            .is_some_and(|slot| slot.get().is_some())
        {
            return Ok(uri);
        }
        // The first free slot; one taken meanwhile by another thread is
        // passed over. Threads resolving the same target at once may each
        // remember it, which costs slots and nothing else.
        let mut answer = Box::new((target.clone(), uri.clone()));
        for slot in &self.remembered {
            match slot.set(answer) {
                Ok(()) => break,
                Err(taken) => answer = taken,
            }
        }
        Ok(uri)
    }
}

#[cfg(test)]
impl Resolver {
    /// How many targets are remembered.
    pub(crate) fn remembered_count(&self) -> usize {
        self.remembered.iter().map_while(OnceLock::get).count()
    }
}
