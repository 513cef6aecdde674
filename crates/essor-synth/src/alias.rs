//! Walker's alias method: draws from a discrete distribution in constant time, which keeps the
//! choice of a commune among 35 000 as cheap as a coin flip.

use crate::rng::Rng;

/// A discrete distribution over `0..n`, built from non-negative weights.
#[derive(Debug, Clone)]
pub(crate) struct Alias {
    /// Per column: the threshold (out of 2^32) below which the column itself is drawn, and the
    /// other outcome. Packed together so that a draw touches one cache line.
    columns: Vec<(u32, u32)>,
}

impl Alias {
    /// Builds the table (Vose's method). Panics if no weight is positive: every table of the
    /// generator is built from fixed data or from a checked list of communes.
    pub(crate) fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        assert!(
            total > 0.0 && n > 0,
            "a distribution needs a positive weight"
        );
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut keep = vec![1.0; n];
        let mut other: Vec<u32> = (0..n).map(index_u32).collect();
        let mut small: Vec<usize> = Vec::new();
        let mut large: Vec<usize> = Vec::new();
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 {
                small.push(i);
            } else {
                large.push(i);
            }
        }
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            keep[s] = scaled[s];
            other[s] = index_u32(l);
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Left-overs are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            keep[i] = 1.0;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a probability scaled to 2^32, clamped"
        )]
        let columns = keep
            .iter()
            .zip(other)
            .map(|(&p, o)| {
                let threshold = if p >= 1.0 {
                    u32::MAX
                } else {
                    (p * 4_294_967_296.0) as u32
                };
                (threshold, o)
            })
            .collect();
        Self { columns }
    }

    /// One outcome, from one draw of the generator: its high half picks the column, its low
    /// half the side.
    #[inline]
    #[allow(clippy::cast_possible_truncation, reason = "halves of a 64-bit draw")]
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        let column = (((r >> 32) * self.columns.len() as u64) >> 32) as usize;
        let (threshold, other) = self.columns[column];
        if (r as u32) < threshold || threshold == u32::MAX {
            column
        } else {
            other as usize
        }
    }
}

fn index_u32(i: usize) -> u32 {
    u32::try_from(i).expect("distributions have fewer than 2^32 outcomes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_follow_the_weights() {
        let alias = Alias::new(&[1.0, 0.0, 3.0, 6.0]);
        let mut rng = Rng::new(3);
        let mut counts = [0u32; 4];
        for _ in 0..100_000 {
            counts[alias.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = |i: usize| f64::from(counts[i]) / 100_000.0;
        assert!((share(0) - 0.1).abs() < 0.01, "{counts:?}");
        assert!((share(2) - 0.3).abs() < 0.01, "{counts:?}");
        assert!((share(3) - 0.6).abs() < 0.01, "{counts:?}");
    }
}
