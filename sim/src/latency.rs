//! How long a simulated node takes to answer one invoke.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A latency distribution in milliseconds (`kind` selects the variant in fleet files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Latency {
    /// Always the same delay.
    Fixed { ms: u64 },
    /// Uniform between `min_ms` and `max_ms` (inclusive).
    Uniform { min_ms: u64, max_ms: u64 },
    /// Normal with the given mean and standard deviation, clamped at 0.
    Normal { mean_ms: f64, stddev_ms: f64 },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Uniform { min_ms: 5, max_ms: 30 }
    }
}

impl Latency {
    /// Checks the parameters make sense; the message names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Latency::Fixed { .. } => Ok(()),
            Latency::Uniform { min_ms, max_ms } if min_ms > max_ms => {
                Err(format!("latency: min_ms ({min_ms}) is above max_ms ({max_ms})"))
            }
            Latency::Uniform { .. } => Ok(()),
            Latency::Normal { mean_ms, .. } if !(mean_ms.is_finite() && mean_ms >= 0.0) => {
                Err(format!("latency: mean_ms must be a finite number >= 0, got {mean_ms}"))
            }
            Latency::Normal { stddev_ms, .. } if !(stddev_ms.is_finite() && stddev_ms >= 0.0) => {
                Err(format!("latency: stddev_ms must be a finite number >= 0, got {stddev_ms}"))
            }
            Latency::Normal { .. } => Ok(()),
        }
    }

    /// Draws one delay in milliseconds.
    pub fn sample(&self, rng: &mut impl Rng) -> u64 {
        match *self {
            Latency::Fixed { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => {
                if min_ms >= max_ms {
                    min_ms
                } else {
                    rng.gen_range(min_ms..=max_ms)
                }
            }
            Latency::Normal { mean_ms, stddev_ms } => {
                // Box–Muller; u1 in (0, 1] so ln is finite.
                let u1: f64 = 1.0 - rng.gen::<f64>();
                let u2: f64 = rng.gen::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                (mean_ms + stddev_ms * z).max(0.0).round() as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn uniform_stays_in_range() {
        let mut rng = StdRng::seed_from_u64(7);
        let l = Latency::Uniform { min_ms: 10, max_ms: 20 };
        for _ in 0..1000 {
            let v = l.sample(&mut rng);
            assert!((10..=20).contains(&v), "{v}");
        }
    }

    #[test]
    fn normal_is_centred_and_never_negative() {
        let mut rng = StdRng::seed_from_u64(7);
        let l = Latency::Normal { mean_ms: 100.0, stddev_ms: 30.0 };
        let draws: Vec<u64> = (0..4000).map(|_| l.sample(&mut rng)).collect();
        let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
        assert!((95.0..105.0).contains(&mean), "mean {mean}");
        let wide = Latency::Normal { mean_ms: 1.0, stddev_ms: 50.0 };
        assert!((0..1000).all(|_| wide.sample(&mut rng) < 1000));
    }

    #[test]
    fn inverted_uniform_is_rejected() {
        let err = Latency::Uniform { min_ms: 5, max_ms: 1 }.validate();
        assert_eq!(err, Err("latency: min_ms (5) is above max_ms (1)".to_string()));
    }
}
