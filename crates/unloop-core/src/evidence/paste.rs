//! Splitting one pasted text that mixes several outputs.
