//! Crypto: PKCE, state and nonce, certificates and the client assertion JWT (to be written).
