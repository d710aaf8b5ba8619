//! What an input is, decided by its content.
