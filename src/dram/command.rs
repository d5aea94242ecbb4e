//! DRAM commands.

use serde::Serialize;
use std::fmt;

/// The command kinds the controller issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CommandKind {
    /// Activate: open a row in a bank.
    Act,
    /// Precharge: close the open row of a bank.
    Pre,
    /// Column read from the open row.
    Rd,
    /// Column write to the open row.
    Wr,
    /// All-bank refresh of one rank (every bank of the rank must be closed).
    Ref,
}

impl CommandKind {
    /// All kinds, in index order.
    pub const ALL: [CommandKind; 5] = [
        CommandKind::Act,
        CommandKind::Pre,
        CommandKind::Rd,
        CommandKind::Wr,
        CommandKind::Ref,
    ];

    /// A dense index (0..5) for per-kind tables.
    pub const fn index(self) -> usize {
        match self {
            CommandKind::Act => 0,
            CommandKind::Pre => 1,
            CommandKind::Rd => 2,
            CommandKind::Wr => 3,
            CommandKind::Ref => 4,
        }
    }

    /// The JEDEC mnemonic.
    pub const fn name(self) -> &'static str {
        match self {
            CommandKind::Act => "ACT",
            CommandKind::Pre => "PRE",
            CommandKind::Rd => "RD",
            CommandKind::Wr => "WR",
            CommandKind::Ref => "REF",
        }
    }

    /// True for the column commands RD and WR.
    pub const fn is_column(self) -> bool {
        matches!(self, CommandKind::Rd | CommandKind::Wr)
    }
}

/// Evaluates `$body` with the const `$k` set to the index of the command kind `$kind`
/// (a value known only at run time), so that `$body` can call code specialised by kind
/// (`f::<$k>()`): one dispatch on the kind, then code chosen at compile time.
macro_rules! with_kind_index {
    ($kind:expr, $k:ident => $body:expr) => {
        $crate::dram::command::with_kind_index!(@arms $kind, $k, $body, Act Pre Rd Wr Ref)
    };
    (@arms $kind:expr, $k:ident, $body:expr, $($variant:ident)*) => {
        match $kind {
            $($crate::dram::command::CommandKind::$variant => {
                const $k: usize = $crate::dram::command::CommandKind::$variant.index();
                $body
            })*
        }
    };
}
pub(crate) use with_kind_index;

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One command on one channel. `bankgroup` and `bank` are within the rank; `row` is
/// used by ACT (and checked against the open row by RD/WR); `port` is the data port
/// a column command uses (0 for a JEDEC channel with one data bus). REF ignores the
/// bank fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Command {
    /// What the command does.
    pub kind: CommandKind,
    /// Rank (or stack layer group) within the channel.
    pub rank: u16,
    /// Bank group within the rank.
    pub bankgroup: u16,
    /// Bank within the bank group.
    pub bank: u16,
    /// Row address.
    pub row: u32,
    /// Data port of a column command.
    pub port: u16,
}

impl Command {
    /// A command of `kind` to (rank, bankgroup, bank), row `row`, port 0.
    pub fn new(kind: CommandKind, rank: u16, bankgroup: u16, bank: u16, row: u32) -> Self {
        Command {
            kind,
            rank,
            bankgroup,
            bank,
            row,
            port: 0,
        }
    }

    /// The same command on data port `port`.
    pub fn on_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            CommandKind::Ref => write!(f, "REF r{}", self.rank),
            CommandKind::Rd | CommandKind::Wr => write!(
                f,
                "{} r{} bg{} b{} row {} port {}",
                self.kind, self.rank, self.bankgroup, self.bank, self.row, self.port
            ),
            _ => write!(
                f,
                "{} r{} bg{} b{} row {}",
                self.kind, self.rank, self.bankgroup, self.bank, self.row
            ),
        }
    }
}
