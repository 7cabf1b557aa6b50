//! Seeding (the chapter's `utils.set_seed`): one master seed derives independent, named random
//! streams, so that adding a draw to one stream (say, dropout) never shifts another (say, the
//! split). Per-epoch streams are derived from (stream, epoch), so a resumed run needs no saved
//! RNG state beyond the epoch number: the same seed gives the same numbers, bit for bit.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The RNG used everywhere (portable and reproducible across platforms).
pub type Rng = ChaCha8Rng;

/// The independent random streams of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Synthetic data generation.
    Data,
    /// Train/val/test split.
    Split,
    /// Initial weights.
    Init,
    /// Minibatch order (per epoch).
    Shuffle,
    /// Dropout masks (per epoch).
    Dropout,
    /// Image augmentation (per epoch).
    Augment,
}

/// A master seed and the streams derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    /// The config's `seed`.
    pub master: u64,
}

impl Seeds {
    /// Seeds derived from `master`.
    pub fn new(master: u64) -> Self {
        let _ = master;
        todo!()
    }
    /// The 64-bit seed of a stream (a SplitMix64-style hash of master and stream id).
    pub fn seed(&self, stream: Stream) -> u64 {
        let _ = stream;
        todo!()
    }
    /// The seed of a stream for one epoch (1-based).
    pub fn epoch_seed(&self, stream: Stream, epoch: usize) -> u64 {
        let _ = (stream, epoch);
        todo!()
    }
    /// A fresh RNG for a stream.
    pub fn rng(&self, stream: Stream) -> Rng {
        Rng::seed_from_u64(self.seed(stream))
    }
    /// A fresh RNG for a stream in one epoch.
    pub fn epoch_rng(&self, stream: Stream, epoch: usize) -> Rng {
        Rng::seed_from_u64(self.epoch_seed(stream, epoch))
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates) drawn from `rng`.
pub fn permutation(n: usize, rng: &mut Rng) -> Vec<usize> {
    let _ = (n, rng);
    todo!()
}
