// Placeholder while the isolation worker is being written in this session.
export {};
