//! The one integration-test binary (one module per topic).
mod common;
mod ns3_fast;
