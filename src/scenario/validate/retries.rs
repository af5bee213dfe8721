//! Checks of retry settings that are valid alone but have no effect together.

use super::Checker;
use crate::scenario::document::{RetryBudget, RetryPolicy, Step};

/// Returns whether a retry policy can retry at all.
fn retries(retry: Option<&RetryPolicy>) -> bool {
    retry.is_some_and(|r| r.attempts > 1 && r.retry_on.as_ref().is_none_or(|k| !k.is_empty()))
}

impl Checker<'_> {
    /// Warns about retry budgets beside policies that never retry.
    pub(super) fn budgets_without_retries(&mut self) {
        let mut findings = Vec::new();
        let mut check =
            |path: String, budget: Option<&RetryBudget>, retry: Option<&RetryPolicy>| {
                if budget.is_some() && !retries(retry) {
                    findings.push(format!("{path}.retry_budget"));
                }
            };
        for (name, client) in &self.scenario.clients {
            check(
                format!("clients.{name}"),
                client.retry_budget.as_ref(),
                client.retry.as_ref(),
            );
        }
        for (service_name, service) in &self.scenario.services {
            for (operation_name, operation) in &service.operations {
                for (i, step) in operation.steps.iter().enumerate() {
                    let path =
                        format!("services.{service_name}.operations.{operation_name}.steps[{i}]");
                    match step {
                        Step::Call(call) => {
                            check(path, call.retry_budget.as_ref(), call.retry.as_ref());
                        }
                        Step::Parallel(parallel) => {
                            for (k, call) in parallel.parallel.iter().enumerate() {
                                check(
                                    format!("{path}.parallel[{k}]"),
                                    call.retry_budget.as_ref(),
                                    call.retry.as_ref(),
                                );
                            }
                        }
                        Step::Publish(_) | Step::Work(_) => {}
                    }
                }
            }
        }
        for path in findings {
            self.warning(
                &path,
                "this retry budget has no effect, because the call has no retry policy that retries (more than 1 attempt and a non-empty retry_on); add a retry policy or remove the budget",
            );
        }
    }
}
