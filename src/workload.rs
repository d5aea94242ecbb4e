//! The workload: phase, batch, and sequence lengths. Decode is averaged over four KV lengths
//! spanning input to input + output.

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};

/// Inference phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Process the prompt, produce the first token.
    Prefill,
    /// Generate one token per request per step.
    Decode,
}

impl Phase {
    /// Parse `prefill` or `decode`.
    pub fn parse(s: &str) -> Result<Phase> {
        match s {
            "prefill" => Ok(Phase::Prefill),
            "decode" => Ok(Phase::Decode),
            _ => Err(invalid("--phase", s, "use prefill or decode")),
        }
    }
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Prefill => "prefill",
            Phase::Decode => "decode",
        }
    }
}

/// What is being served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Phase.
    pub phase: Phase,
    /// Concurrent requests.
    pub batch: u32,
    /// Prompt tokens per request.
    pub input_len: u32,
    /// Generated tokens per request.
    pub output_len: u32,
}

impl Workload {
    /// Check ranges.
    pub fn validate(&self) -> Result<()> {
        if self.batch == 0 {
            return Err(invalid("--batch", 0, "must be at least 1"));
        }
        if self.input_len == 0 {
            return Err(invalid("--input-len", 0, "must be at least 1"));
        }
        if self.phase == Phase::Decode && self.output_len == 0 {
            return Err(invalid(
                "--output-len",
                0,
                "decode needs at least 1 output token",
            ));
        }
        Ok(())
    }

    /// KV lengths at which a decode step is evaluated (and averaged): four points spanning
    /// input to input + output. Prefill has a single point (the prompt).
    pub fn kv_points(&self) -> Vec<u32> {
        match self.phase {
            Phase::Prefill => vec![self.input_len],
            Phase::Decode => {
                let a = self.input_len as f64;
                let b = (self.input_len + self.output_len) as f64;
                (0..4)
                    .map(|i| (a + (b - a) * i as f64 / 3.0).round() as u32)
                    .collect()
            }
        }
    }

    /// Largest KV length held (for memory sizing).
    pub fn max_context(&self) -> u32 {
        match self.phase {
            Phase::Prefill => self.input_len,
            Phase::Decode => self.input_len + self.output_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn kv_points_match_the_reference_runs() {
        let w = Workload {
            phase: Phase::Decode,
            batch: 1,
            input_len: 1024,
            output_len: 1024,
        };
        assert_eq!(w.kv_points(), vec![1024, 1365, 1707, 2048]);
    }
}
