//! What a session's turns used: the tokens of each turn (the sum of its requests'
//! counts) with the model it ran on, and what they cost where the user gave the
//! model's prices (per million tokens, in Settings > Providers; remembered by the
//! desktop, since `config.toml` has no place for them).

use codex_protocol::{EventMsg, TokenUsage};
use serde::{Deserialize, Serialize};

/// A model's prices, per million tokens, in the user's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelPrice {
    pub input: f64,
    /// Input tokens the provider had cached (part of the input count).
    pub cached_input: f64,
    pub output: f64,
}

impl ModelPrice {
    /// What `tokens` cost at these prices.
    pub fn cost(&self, tokens: &TokenUsage) -> f64 {
        let cached = tokens.cached_input_tokens.min(tokens.input_tokens);
        let uncached = tokens.input_tokens - cached;
        (uncached as f64 * self.input
            + cached as f64 * self.cached_input
            + tokens.output_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

/// One turn's tokens and the model it ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnTokens {
    pub model: String,
    pub tokens: TokenUsage,
}

/// The tokens of a session's turns, the running one last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub turns: Vec<TurnTokens>,
    running: bool,
}

impl Usage {
    /// Folds `msg` in; `model` is the model the session's turns use now.
    pub fn apply(&mut self, msg: &EventMsg, model: &str) {
        match msg {
            EventMsg::TurnStarted { .. } => {
                self.turns.push(TurnTokens {
                    model: model.to_string(),
                    tokens: TokenUsage::default(),
                });
                self.running = true;
            }
            EventMsg::TokenCount { info } => {
                if !self.running {
                    // A count outside a turn (an older rollout's): a turn of its own.
                    self.turns.push(TurnTokens {
                        model: model.to_string(),
                        tokens: TokenUsage::default(),
                    });
                    self.running = true;
                }
                if let Some(turn) = self.turns.last_mut() {
                    turn.tokens.add(&info.last_token_usage);
                }
            }
            EventMsg::TurnComplete { .. }
            | EventMsg::TurnFailed { .. }
            | EventMsg::TurnAborted { .. } => self.running = false,
            _ => {}
        }
    }

    /// The last turn that used any tokens.
    pub fn last_turn(&self) -> Option<&TurnTokens> {
        self.turns
            .iter()
            .rev()
            .find(|turn| turn.tokens.total_tokens > 0 || turn.tokens.input_tokens > 0)
    }

    /// What the turns cost at the prices `price_of` gives a model, with how many of
    /// them ran on a model without prices; `None` when no turn's model has prices.
    pub fn cost(&self, price_of: impl Fn(&str) -> Option<ModelPrice>) -> Option<(f64, usize)> {
        let mut cost = None;
        let mut unpriced = 0;
        for turn in &self.turns {
            match price_of(&turn.model) {
                Some(price) => *cost.get_or_insert(0.0) += price.cost(&turn.tokens),
                None => unpriced += 1,
            }
        }
        cost.map(|cost| (cost, unpriced))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use codex_protocol::TokenUsageInfo;

    use super::*;

    fn count(input: u64, cached: u64, output: u64) -> EventMsg {
        EventMsg::TokenCount {
            info: TokenUsageInfo {
                last_token_usage: TokenUsage {
                    input_tokens: input,
                    cached_input_tokens: cached,
                    output_tokens: output,
                    reasoning_output_tokens: 0,
                    total_tokens: input + output,
                },
                ..TokenUsageInfo::default()
            },
        }
    }

    fn started() -> EventMsg {
        EventMsg::TurnStarted {
            turn_id: "t".to_string(),
            model_context_window: None,
        }
    }

    fn completed() -> EventMsg {
        EventMsg::TurnComplete {
            turn_id: "t".to_string(),
            last_agent_message: None,
        }
    }

    #[test]
    fn a_turns_requests_add_up_and_each_turn_keeps_its_model() {
        let mut usage = Usage::default();
        for msg in [
            started(),
            count(1_000, 200, 50),
            count(1_500, 1_000, 70),
            completed(),
        ] {
            usage.apply(&msg, "gpt-5");
        }
        usage.apply(&started(), "cheap");
        usage.apply(&count(400, 0, 10), "cheap");
        usage.apply(&completed(), "cheap");
        assert_eq!(usage.turns.len(), 2);
        assert_eq!(usage.turns[0].tokens.input_tokens, 2_500);
        assert_eq!(usage.turns[0].tokens.cached_input_tokens, 1_200);
        assert_eq!(usage.turns[0].tokens.output_tokens, 120);
        assert_eq!(usage.last_turn().unwrap().model, "cheap");

        let prices = BTreeMap::from([(
            "gpt-5".to_string(),
            ModelPrice {
                input: 1.25,
                cached_input: 0.125,
                output: 10.0,
            },
        )]);
        let (cost, unpriced) = usage.cost(|model| prices.get(model).copied()).unwrap();
        // 1,300 uncached × 1.25 + 1,200 cached × 0.125 + 120 out × 10, per million.
        assert!((cost - 0.002_975).abs() < 1e-12, "{cost}");
        assert_eq!(unpriced, 1);
        assert!(usage.cost(|_| None).is_none());
    }
}
