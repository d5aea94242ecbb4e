//! Fixtures shared by the DRAM unit tests.

use super::command::{Command, CommandKind};
use super::{presets, DramSpec, StackParams};

/// The memories property tests walk: two JEDEC presets and a small 3D stack.
pub(crate) fn property_specs() -> Vec<DramSpec> {
    let spec = |r: Result<DramSpec, super::DramError>| match r {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    vec![
        spec(presets::preset("hbm2")),
        spec(presets::preset("hbm3")),
        spec(DramSpec::from_stack(&StackParams::toy(4, 2))),
    ]
}

/// A xorshift64 stream of indices, deterministic and free of dependencies.
pub(crate) struct IndexStream(u64);

impl IndexStream {
    /// A stream from a non-zero seed.
    pub(crate) fn new(seed: u64) -> IndexStream {
        IndexStream(seed)
    }

    /// The next index below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The shape of the random commands a property test draws: the first `kinds` of
/// [`CommandKind::ALL`], rows below `rows`, and every rank, bank and port of the channel.
pub(crate) struct CommandShape {
    pub kinds: usize,
    pub ranks: usize,
    pub bankgroups: usize,
    pub banks_per_group: usize,
    pub rows: usize,
    pub ports: usize,
}

impl IndexStream {
    /// A random command of `shape`.
    pub(crate) fn command(&mut self, shape: &CommandShape) -> Command {
        Command::new(
            CommandKind::ALL[self.below(shape.kinds)],
            self.below(shape.ranks) as u16,
            self.below(shape.bankgroups) as u16,
            self.below(shape.banks_per_group) as u16,
            self.below(shape.rows) as u32,
        )
        .on_port(self.below(shape.ports) as u16)
    }
}
