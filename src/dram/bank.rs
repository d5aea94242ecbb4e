//! The bank state machine of the controller: closed or open on a row, with the
//! earliest cycle at which each command may next be issued to it.

use super::command::CommandKind;

/// Row state of a bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankState {
    /// Precharged: an ACT may open a row.
    Closed,
    /// A row is open: column commands to it may be issued, or a PRE closes it.
    Open {
        /// The open row.
        row: u32,
    },
}

/// One bank as the controller sees it.
#[derive(Clone, Copy, Debug)]
pub struct Bank {
    /// Current row state.
    pub state: BankState,
    /// Earliest cycle for ACT, PRE, RD, WR to this bank (indexed by
    /// [`CommandKind::index`]; REF is tracked per rank).
    pub next: [u64; 4],
    /// The channel-wide index of the bank's bank group (rank × bank groups + group).
    pub group: u32,
}

impl Default for Bank {
    fn default() -> Self {
        Bank {
            state: BankState::Closed,
            next: [0; 4],
            group: 0,
        }
    }
}

impl Bank {
    /// The open row, if any.
    #[inline]
    pub fn open_row(&self) -> Option<u32> {
        match self.state {
            BankState::Open { row, .. } => Some(row),
            BankState::Closed => None,
        }
    }

    /// True if the bank's state allows `kind` to `row` (ignoring timing).
    #[inline]
    pub fn allows(&self, kind: CommandKind, row: u32) -> bool {
        match (kind, self.state) {
            (CommandKind::Act, BankState::Closed) => true,
            (CommandKind::Pre, BankState::Open { .. }) => true,
            (CommandKind::Rd | CommandKind::Wr, BankState::Open { row: r, .. }) => r == row,
            _ => false,
        }
    }

    /// Raises the earliest cycle of `kind` to at least `t`.
    #[inline]
    pub fn not_before(&mut self, kind: CommandKind, t: u64) {
        let slot = &mut self.next[kind.index()];
        *slot = (*slot).max(t);
    }
}
