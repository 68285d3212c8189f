//! Classic ftp commands that rftp accepts and does nothing for, with a
//! one-line note saying why, so old habits and old scripts keep working.

use super::commands::Call;
use super::{Flow, State};
use crate::session::Error;

/// `hash`: classic ftp prints `#` per block; rftp shows progress bars.
pub(super) fn hash(_state: &mut State, _call: &Call) -> Result<Flow, Error> {
    outln!("hash: rftp shows progress bars instead (on a terminal)");
    Ok(Flow::Continue)
}

/// `bell`: classic ftp rings after each transfer; rftp does not.
pub(super) fn bell(_state: &mut State, _call: &Call) -> Result<Flow, Error> {
    outln!("bell: rftp does not ring after transfers; progress bars show when one ends");
    Ok(Flow::Continue)
}
