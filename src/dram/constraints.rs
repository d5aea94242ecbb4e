//! The timing constraints as data.
//!
//! Each row says: after command `prev` in `scope`, command `next` must wait at least
//! `value` cycles. The [`ProtocolChecker`](super::checker::ProtocolChecker) walks this
//! table for every issued command; the controller computes the same limits by its own
//! mechanism (earliest-issue times updated forward), so the two check each other. The
//! timing-edge tests enumerate this table and fail on any row without a test.

use super::command::CommandKind;
use super::spec::{Derived, Timing};

/// Identifies one constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConstraintId {
    /// ACT to RD, same bank.
    RcdRd,
    /// ACT to WR, same bank.
    RcdWr,
    /// ACT to PRE, same bank.
    Ras,
    /// ACT to ACT, same bank.
    Rc,
    /// PRE to ACT, same bank.
    Rp,
    /// PRE to REF, same rank.
    RpRef,
    /// ACT to ACT, same rank.
    RrdS,
    /// ACT to ACT, same bank group.
    RrdL,
    /// At most four ACTs per rank in any tFAW window.
    Faw,
    /// RD to RD, same port.
    CcdSRd,
    /// RD to RD, same bank group.
    CcdLRd,
    /// WR to WR, same port.
    CcdSWr,
    /// WR to WR, same bank group.
    CcdLWr,
    /// RD to RD on one port from a different rank.
    RankSwitchRd,
    /// WR to WR on one port from a different rank.
    RankSwitchWr,
    /// RD to WR, same port (bus turnaround).
    Rtw,
    /// WR to RD, same rank.
    WtrS,
    /// WR to RD, same bank group.
    WtrL,
    /// RD to PRE, same bank.
    Rtp,
    /// WR to PRE, same bank (write recovery).
    Wr,
    /// REF to ACT, same rank.
    Rfc,
    /// REF to REF, same rank.
    RfcRef,
    /// A rank must be refreshed at least every tREFI (one interval of postponement
    /// allowed: consecutive REFs at most 2 x tREFI apart).
    Refi,
    /// At most `ports` row commands (ACT, PRE, REF) and `ports` column commands (RD,
    /// WR) per cycle on one channel: HBM's separate row and column command buses.
    CmdBus,
}

/// Which commands a constraint relates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Same bank.
    Bank,
    /// Same bank group (of the same rank).
    BankGroup,
    /// Same rank.
    Rank,
    /// Same data port.
    Port,
    /// Same data port, different rank.
    PortOtherRank,
    /// The four-activate window of a rank.
    FourActWindow,
    /// Maximum interval between refreshes of a rank.
    RefreshInterval,
    /// Commands issued in one cycle on one command bus (row or column) of a channel.
    CommandSlot,
}

/// One row of the constraint table.
#[derive(Clone, Copy, Debug)]
pub struct Constraint {
    /// Identity.
    pub id: ConstraintId,
    /// Name as used in reports (JEDEC style).
    pub name: &'static str,
    /// The earlier command.
    pub prev: CommandKind,
    /// The command that must wait.
    pub next: CommandKind,
    /// Which pairs of commands it relates.
    pub scope: Scope,
    /// Its value in cycles for a memory (0: the constraint does not exist there).
    pub value: fn(&Timing, &Derived) -> u64,
}

use CommandKind::{Act, Pre, Rd, Ref, Wr};

/// Every constraint the model enforces and the checker verifies.
pub const CONSTRAINTS: &[Constraint] = &[
    Constraint {
        id: ConstraintId::RcdRd,
        name: "tRCDRD",
        prev: Act,
        next: Rd,
        scope: Scope::Bank,
        value: |t, _| t.rcd_rd,
    },
    Constraint {
        id: ConstraintId::RcdWr,
        name: "tRCDWR",
        prev: Act,
        next: Wr,
        scope: Scope::Bank,
        value: |t, _| t.rcd_wr,
    },
    Constraint {
        id: ConstraintId::Ras,
        name: "tRAS",
        prev: Act,
        next: Pre,
        scope: Scope::Bank,
        value: |t, _| t.ras,
    },
    Constraint {
        id: ConstraintId::Rc,
        name: "tRC",
        prev: Act,
        next: Act,
        scope: Scope::Bank,
        value: |t, _| t.rc,
    },
    Constraint {
        id: ConstraintId::Rp,
        name: "tRP",
        prev: Pre,
        next: Act,
        scope: Scope::Bank,
        value: |t, _| t.rp,
    },
    Constraint {
        id: ConstraintId::RpRef,
        name: "tRP(PRE->REF)",
        prev: Pre,
        next: Ref,
        scope: Scope::Rank,
        value: |t, _| t.rp,
    },
    Constraint {
        id: ConstraintId::RrdS,
        name: "tRRD_S",
        prev: Act,
        next: Act,
        scope: Scope::Rank,
        value: |t, _| t.rrd_s,
    },
    Constraint {
        id: ConstraintId::RrdL,
        name: "tRRD_L",
        prev: Act,
        next: Act,
        scope: Scope::BankGroup,
        value: |t, _| t.rrd_l,
    },
    Constraint {
        id: ConstraintId::Faw,
        name: "tFAW",
        prev: Act,
        next: Act,
        scope: Scope::FourActWindow,
        value: |t, _| t.faw,
    },
    Constraint {
        id: ConstraintId::CcdSRd,
        name: "tCCD_S(RD)",
        prev: Rd,
        next: Rd,
        scope: Scope::Port,
        value: |_, d| d.ccd_s,
    },
    Constraint {
        id: ConstraintId::CcdLRd,
        name: "tCCD_L(RD)",
        prev: Rd,
        next: Rd,
        scope: Scope::BankGroup,
        value: |_, d| d.ccd_l,
    },
    Constraint {
        id: ConstraintId::CcdSWr,
        name: "tCCD_S(WR)",
        prev: Wr,
        next: Wr,
        scope: Scope::Port,
        value: |_, d| d.ccd_s,
    },
    Constraint {
        id: ConstraintId::CcdLWr,
        name: "tCCD_L(WR)",
        prev: Wr,
        next: Wr,
        scope: Scope::BankGroup,
        value: |_, d| d.ccd_l,
    },
    Constraint {
        id: ConstraintId::RankSwitchRd,
        name: "tRTRS(RD->RD)",
        prev: Rd,
        next: Rd,
        scope: Scope::PortOtherRank,
        value: |_, d| d.rank_switch,
    },
    Constraint {
        id: ConstraintId::RankSwitchWr,
        name: "tRTRS(WR->WR)",
        prev: Wr,
        next: Wr,
        scope: Scope::PortOtherRank,
        value: |_, d| d.rank_switch,
    },
    Constraint {
        id: ConstraintId::Rtw,
        name: "tRTW",
        prev: Rd,
        next: Wr,
        scope: Scope::Port,
        value: |_, d| d.rtw,
    },
    Constraint {
        id: ConstraintId::WtrS,
        name: "tWTR_S",
        prev: Wr,
        next: Rd,
        scope: Scope::Rank,
        value: |_, d| d.wtr_s,
    },
    Constraint {
        id: ConstraintId::WtrL,
        name: "tWTR_L",
        prev: Wr,
        next: Rd,
        scope: Scope::BankGroup,
        value: |_, d| d.wtr_l,
    },
    Constraint {
        id: ConstraintId::Rtp,
        name: "tRTP",
        prev: Rd,
        next: Pre,
        scope: Scope::Bank,
        value: |t, _| t.rtp,
    },
    Constraint {
        id: ConstraintId::Wr,
        name: "tWR",
        prev: Wr,
        next: Pre,
        scope: Scope::Bank,
        value: |_, d| d.wr_to_pre,
    },
    Constraint {
        id: ConstraintId::Rfc,
        name: "tRFC",
        prev: Ref,
        next: Act,
        scope: Scope::Rank,
        value: |t, _| t.rfc,
    },
    Constraint {
        id: ConstraintId::RfcRef,
        name: "tRFC(REF->REF)",
        prev: Ref,
        next: Ref,
        scope: Scope::Rank,
        value: |t, _| t.rfc,
    },
    Constraint {
        id: ConstraintId::Refi,
        name: "tREFI",
        prev: Ref,
        next: Ref,
        scope: Scope::RefreshInterval,
        value: |_, d| d.refi,
    },
    Constraint {
        id: ConstraintId::CmdBus,
        name: "command slot",
        prev: Act,
        next: Act,
        scope: Scope::CommandSlot,
        value: |_, d| d.commands_per_cycle,
    },
];

/// Number of constraints in [`CONSTRAINTS`].
pub const N_CONSTRAINTS: usize = CONSTRAINTS.len();

/// The table row of `id`.
pub fn constraint(id: ConstraintId) -> &'static Constraint {
    &CONSTRAINTS[index_of(id)]
}

/// The position of `id` in [`CONSTRAINTS`].
pub fn index_of(id: ConstraintId) -> usize {
    CONSTRAINTS
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(N_CONSTRAINTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_findable() {
        for (i, c) in CONSTRAINTS.iter().enumerate() {
            assert_eq!(index_of(c.id), i);
            assert_eq!(constraint(c.id).name, c.name);
        }
    }
}
