//! What unloop knows about specific components and messages, kept as data so
//! that rules stay generic.

pub mod components;
pub mod messages;
pub mod milestones;
