//! [`RetryPolicy`] as tower's retry [`Policy`], for tower's `Retry` layer
//! in a stack built by hand: the same decisions
//! ([`rules::retry`](crate::rules::retry)) as the default stack's.

use http::{Request, Response};
use tokio::time::Sleep;
use tower::retry::Policy;

use crate::{Error, Operation, ResentAfterLostAnswer, RetryPolicy};

impl<B: Clone, RB> Policy<Request<B>, Response<RB>, Error> for RetryPolicy {
    type Future = Sleep;

    fn retry(
        &mut self,
        request: &mut Request<B>,
        result: &mut Result<Response<RB>, Error>,
    ) -> Option<Self::Future> {
        if self.retries == 0 {
            self.deposit();
        }
        let Some(delay) = self.wait(&Operation::of(request), result.as_ref(), self.retries) else {
            // The call's answer: marked, as the default stack marks it,
            // when an earlier attempt's answer was lost.
            if let (Ok(response), true) = (result, self.lost_answer) {
                response.extensions_mut().insert(ResentAfterLostAnswer);
            }
            return None;
        };
        // Before the answer's head: once a status arrived, the server had
        // answered.
        self.lost_answer |= matches!(result, Err(Error::Http(_)));
        self.retries += 1;
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, request: &Request<B>) -> Option<Request<B>> {
        self.is_enabled().then(|| super::copy(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_policy_keeps_no_copy() {
        let mut policy = RetryPolicy::disabled();
        assert!(
            Policy::<Request<()>, Response<()>, Error>::clone_request(
                &mut policy,
                &Request::new(())
            )
            .is_none()
        );
    }
}
